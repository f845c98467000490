using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// Fills the jobs table straight through SQLite while the server is stopped: rows shaped as the
/// server writes them (times as UTC ticks, phase as text, parameters and results as JSON; columns
/// added later take their defaults), all COMPLETED copy jobs of one owner, older than the jobs
/// already there, in one transaction. Job i has run ID fill-{i / 1000}-{i} and text "filled {i}",
/// with its row in job_parameter_keys, as the server writes it (the list's parameter filter).
/// </summary>
public static class DirectFill
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static int Count(string databasePath, string definition)
    {
        using var connection = Open(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs WHERE Definition = $definition";
        command.Parameters.AddWithValue("$definition", definition);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Inserts jobs into the list <paramref name="definition"/> until it holds <paramref name="target"/>; returns how many were inserted and how long it took.</summary>
    public static (int Inserted, TimeSpan Took) TopUp(string databasePath, string definition, string owner, int target)
    {
        var clock = Stopwatch.StartNew();
        var missing = target - Count(databasePath, definition);
        if (missing <= 0)
            return (0, clock.Elapsed);

        using var connection = Open(databasePath);
        long oldest;
        string version;
        using (var query = connection.CreateCommand())
        {
            // The definition version the server gave the jobs created over HTTP.
            query.CommandText = "SELECT MIN(CreationTime), MAX(DefinitionVersion) FROM jobs WHERE Definition = $definition";
            query.Parameters.AddWithValue("$definition", definition);
            using var reader = query.ExecuteReader();
            reader.Read();
            if (reader.IsDBNull(0))
                throw new InvalidOperationException($"create some '{definition}' jobs over HTTP first: the filled rows copy their definition version");
            oldest = reader.GetInt64(0);
            version = reader.GetString(1);
        }

        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            """
            INSERT INTO jobs (Id, Definition, DefinitionVersion, RunId, Owner, Phase, CreationTime, StartTime, EndTime,
                              ExecutionDuration, Destruction, Quote, ErrorMessage, ErrorType, Parameters, Results, Inputs, Manager, ManagerJobId, CallbackTokenHash)
            VALUES ($id, $definition, $version, $runId, $owner, 'COMPLETED', $created, $started, $ended,
                    60, $destruction, $quote, NULL, NULL, $parameters, '[]', '[]', 'local', NULL, NULL)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        insert.Parameters.AddWithValue("$definition", definition);
        insert.Parameters.AddWithValue("$version", version);
        insert.Parameters.AddWithValue("$owner", owner);
        var created = insert.Parameters.Add("$created", SqliteType.Integer);
        var started = insert.Parameters.Add("$started", SqliteType.Integer);
        var ended = insert.Parameters.Add("$ended", SqliteType.Integer);
        var destruction = insert.Parameters.Add("$destruction", SqliteType.Integer);
        var quote = insert.Parameters.Add("$quote", SqliteType.Integer);
        var parameters = insert.Parameters.Add("$parameters", SqliteType.Text);
        var runId = insert.Parameters.Add("$runId", SqliteType.Text);
        insert.Prepare();
        using var insertKey = connection.CreateCommand();
        insertKey.Transaction = transaction;
        insertKey.CommandText = "INSERT INTO job_parameter_keys (JobId, Name, ValueSha256) VALUES ($id, 'text', $digest)";
        var keyId = insertKey.Parameters.Add("$id", SqliteType.Text);
        var digest = insertKey.Parameters.Add("$digest", SqliteType.Text);
        insertKey.Prepare();

        // One job a second going back from the oldest one; each lives 7 days from now, so no sweep destroys them during the run.
        var lifetime = DateTime.UtcNow.AddDays(7).Ticks;
        for (var i = 1; i <= missing; i++)
        {
            var creation = oldest - i * TimeSpan.TicksPerSecond;
            id.Value = keyId.Value = NewJobId();
            runId.Value = $"fill-{i / 1000}-{i}";
            created.Value = creation;
            started.Value = creation + 20 * TimeSpan.TicksPerMillisecond;
            ended.Value = creation + 40 * TimeSpan.TicksPerMillisecond;
            destruction.Value = lifetime;
            quote.Value = creation + TimeSpan.TicksPerSecond;
            var text = $"filled {i}";
            parameters.Value = JsonSerializer.Serialize(new List<JobParameter> { new("text", text) }, Json);
            insert.ExecuteNonQuery();
            digest.Value = JobParameterKey.DigestOf(text);
            insertKey.ExecuteNonQuery();
        }

        transaction.Commit();
        return (missing, clock.Elapsed);
    }

    private static SqliteConnection Open(string databasePath)
    {
        if (!File.Exists(databasePath))
            throw new FileNotFoundException("the server has not created its database", databasePath);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>As the server makes them: 128 random bits in base32 (a-z, 2-7), 26 characters.</summary>
    private static string NewJobId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[26];
        int buffer = 0, bits = 0, n = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[n++] = alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        chars[n++] = alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars[..n]);
    }
}
