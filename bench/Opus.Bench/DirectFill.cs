using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Opus.Core.Jobs;
using Opus.Core.Provenance;

namespace Opus.Bench;

/// <summary>What a top-up did: rows inserted, how long it took, and a sample of the jobs it inserted, spread over them.</summary>
public sealed record FillResult(int Inserted, TimeSpan Took, IReadOnlyList<FilledJob> Sample);

/// <summary>
/// A filled job: <see cref="Number"/> is its place in the list (the jobs already there, plus one per job inserted
/// before it), so run IDs stay unique over several top-ups.
/// </summary>
public sealed record FilledJob(string Id, int Number, DateTime Created)
{
    public string RunId => $"fill-{Number / 1000}-{Number}";

    public string Text => $"filled {Number}";
}

/// <summary>
/// Fills the jobs table straight through the database while the server is stopped: rows shaped as the
/// server writes them (phase as text, parameters and results as JSON; columns added later take their
/// defaults), all COMPLETED copy jobs of one owner, older than the jobs already there. Job number n
/// has run ID fill-{n / 1000}-{n} and text "filled {n}", with its row in job_parameter_keys (the list's
/// parameter filter) and in prov_activities (its provenance; without it the server's sweep would record
/// a thousand jobs' provenance every pass, as repair), as the server writes them. SQLite: Microsoft.Data.Sqlite, prepared INSERTs,
/// a commit every <see cref="SqliteBatch"/> jobs (times as UTC ticks). PostgreSQL: Npgsql binary COPY
/// into both tables at once, then VACUUM ANALYZE.
/// </summary>
public static class DirectFill
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int SqliteBatch = 50_000;
    private const int SampleSize = 1_000;
    private const int ProgressEvery = 100_000;

    public static int Count(string databasePath, string definition)
    {
        using var connection = Open(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs WHERE Definition = $definition";
        command.Parameters.AddWithValue("$definition", definition);
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Inserts jobs into the list <paramref name="definition"/> of opus.db until it holds <paramref name="target"/>.</summary>
    public static FillResult TopUp(string databasePath, string definition, string owner, int target, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var existing = Count(databasePath, definition);
        var missing = target - existing;
        if (missing <= 0)
            return new FillResult(0, clock.Elapsed, []);

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

        using (var pragma = connection.CreateCommand())
        {
            // A large page cache for this connection only: the random job ids scatter inserts over the whole primary key.
            pragma.CommandText = "PRAGMA cache_size = -131072;";
            pragma.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
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
        using var insertKey = connection.CreateCommand();
        insertKey.CommandText = "INSERT INTO job_parameter_keys (JobId, Name, ValueSha256) VALUES ($id, 'text', $digest)";
        var keyId = insertKey.Parameters.Add("$id", SqliteType.Text);
        var digest = insertKey.Parameters.Add("$digest", SqliteType.Text);
        using var insertActivity = connection.CreateCommand();
        insertActivity.CommandText =
            """
            INSERT INTO prov_activities (JobId, Definition, DefinitionVersion, Owner, Phase, StartTime, EndTime, Parameters, Internal, RecordedAt)
            VALUES ($id, $definition, $version, $owner, 'COMPLETED', $started, $ended, $parameters, NULL, $ended)
            """;
        var activityId = insertActivity.Parameters.Add("$id", SqliteType.Text);
        insertActivity.Parameters.AddWithValue("$definition", definition);
        insertActivity.Parameters.AddWithValue("$version", version);
        insertActivity.Parameters.AddWithValue("$owner", owner);
        var activityStarted = insertActivity.Parameters.Add("$started", SqliteType.Integer);
        var activityEnded = insertActivity.Parameters.Add("$ended", SqliteType.Integer);
        var activityParameters = insertActivity.Parameters.Add("$parameters", SqliteType.Text);

        var sample = new List<FilledJob>();
        var lifetime = Lifetime();
        SqliteTransaction? transaction = null;
        var done = 0;
        try
        {
            foreach (var job in Jobs(new DateTime(oldest, DateTimeKind.Utc), existing, missing))
            {
                if (done % SqliteBatch == 0)
                {
                    // Commits in batches keep the write-ahead log (and the fill's memory) bounded.
                    transaction?.Commit();
                    transaction?.Dispose();
                    cancellationToken.ThrowIfCancellationRequested();
                    transaction = connection.BeginTransaction();
                    insert.Transaction = insertKey.Transaction = insertActivity.Transaction = transaction;
                    if (done == 0)
                    {
                        insert.Prepare();
                        insertKey.Prepare();
                        insertActivity.Prepare();
                    }
                }

                id.Value = keyId.Value = activityId.Value = job.Id;
                runId.Value = job.RunId;
                created.Value = job.Created.Ticks;
                started.Value = activityStarted.Value = (job.Created + StartDelay).Ticks;
                ended.Value = activityEnded.Value = (job.Created + EndDelay).Ticks;
                destruction.Value = lifetime.Ticks;
                quote.Value = (job.Created + QuoteDelay).Ticks;
                parameters.Value = ParametersOf(job);
                insert.ExecuteNonQuery();
                digest.Value = JobParameterKey.DigestOf(job.Text);
                insertKey.ExecuteNonQuery();
                activityParameters.Value = ActivityParametersOf(job);
                insertActivity.ExecuteNonQuery();
                done++;
                Sampled(sample, job, done, missing);
                Progressed("SQLite", done, missing, clock);
            }

            transaction?.Commit();
        }
        finally
        {
            transaction?.Dispose();
        }

        return new FillResult(missing, clock.Elapsed, sample);
    }

    /// <summary>PostgreSQL: how many jobs the list <paramref name="definition"/> holds.</summary>
    public static async Task<int> CountAsync(string connectionString, string definition, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM jobs WHERE \"Definition\" = @definition", connection);
        command.Parameters.AddWithValue("definition", definition);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// PostgreSQL: inserts jobs into the list <paramref name="definition"/> until it holds <paramref name="target"/>,
    /// by binary COPY into jobs, job_parameter_keys and prov_activities at once (a connection each, rows streamed), then
    /// VACUUM ANALYZE of the three tables, so the planner has statistics and the covering indexes their visibility map.
    /// </summary>
    public static async Task<FillResult> TopUpAsync(string connectionString, string definition, string owner, int target, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var existing = await CountAsync(connectionString, definition, cancellationToken);
        var missing = target - existing;
        if (missing <= 0)
            return new FillResult(0, clock.Elapsed, []);

        await using var jobsConnection = await OpenAsync(connectionString, cancellationToken);
        await using var keysConnection = await OpenAsync(connectionString, cancellationToken);
        await using var activitiesConnection = await OpenAsync(connectionString, cancellationToken);
        DateTime oldest;
        string version;
        await using (var query = new NpgsqlCommand(
            "SELECT MIN(\"CreationTime\"), MAX(\"DefinitionVersion\") FROM jobs WHERE \"Definition\" = @definition", jobsConnection))
        {
            query.Parameters.AddWithValue("definition", definition);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.IsDBNull(0))
                throw new InvalidOperationException($"create some '{definition}' jobs over HTTP first: the filled rows copy their definition version");
            oldest = DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc);
            version = reader.GetString(1);
        }

        var sample = new List<FilledJob>();
        var lifetime = Lifetime();
        var done = 0;
        // The synchronous writer: a million rows of awaited fields would cost more than the COPY itself.
        using (var jobs = jobsConnection.BeginBinaryImport(
            """
            COPY jobs ("Id", "Definition", "DefinitionVersion", "RunId", "Owner", "Phase", "CreationTime", "StartTime", "EndTime",
                       "ExecutionDuration", "Destruction", "Quote", "Parameters", "Results", "Inputs", "Manager") FROM STDIN (FORMAT BINARY)
            """))
        using (var keys = keysConnection.BeginBinaryImport("COPY job_parameter_keys (\"JobId\", \"Name\", \"ValueSha256\") FROM STDIN (FORMAT BINARY)"))
        using (var activities = activitiesConnection.BeginBinaryImport(
            """
            COPY prov_activities ("JobId", "Definition", "DefinitionVersion", "Owner", "Phase", "StartTime", "EndTime", "Parameters", "RecordedAt")
                FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var job in Jobs(oldest, existing, missing))
            {
                jobs.StartRow();
                jobs.Write(job.Id, NpgsqlDbType.Varchar);
                jobs.Write(definition, NpgsqlDbType.Varchar);
                jobs.Write(version, NpgsqlDbType.Varchar);
                jobs.Write(job.RunId, NpgsqlDbType.Varchar);
                jobs.Write(owner, NpgsqlDbType.Varchar);
                jobs.Write("COMPLETED", NpgsqlDbType.Varchar);
                jobs.Write(job.Created, NpgsqlDbType.TimestampTz);
                jobs.Write(job.Created + StartDelay, NpgsqlDbType.TimestampTz);
                jobs.Write(job.Created + EndDelay, NpgsqlDbType.TimestampTz);
                jobs.Write(60, NpgsqlDbType.Integer);
                jobs.Write(lifetime, NpgsqlDbType.TimestampTz);
                jobs.Write(job.Created + QuoteDelay, NpgsqlDbType.TimestampTz);
                jobs.Write(ParametersOf(job), NpgsqlDbType.Text);
                jobs.Write("[]", NpgsqlDbType.Text);
                jobs.Write("[]", NpgsqlDbType.Text);
                jobs.Write("local", NpgsqlDbType.Varchar);
                keys.StartRow();
                keys.Write(job.Id, NpgsqlDbType.Varchar);
                keys.Write("text", NpgsqlDbType.Varchar);
                keys.Write(JobParameterKey.DigestOf(job.Text), NpgsqlDbType.Varchar);
                activities.StartRow();
                activities.Write(job.Id, NpgsqlDbType.Varchar);
                activities.Write(definition, NpgsqlDbType.Varchar);
                activities.Write(version, NpgsqlDbType.Varchar);
                activities.Write(owner, NpgsqlDbType.Varchar);
                activities.Write("COMPLETED", NpgsqlDbType.Varchar);
                activities.Write(job.Created + StartDelay, NpgsqlDbType.TimestampTz);
                activities.Write(job.Created + EndDelay, NpgsqlDbType.TimestampTz);
                activities.Write(ActivityParametersOf(job), NpgsqlDbType.Text);
                activities.Write(job.Created + EndDelay, NpgsqlDbType.TimestampTz);
                done++;
                Sampled(sample, job, done, missing);
                Progressed("PostgreSQL", done, missing, clock);
                if (done % ProgressEvery == 0)
                    cancellationToken.ThrowIfCancellationRequested();
            }

            jobs.Complete();
            keys.Complete();
            activities.Complete();
        }

        Progress.Say($"fill, PostgreSQL: {missing:N0} rows copied in {clock.Elapsed.TotalSeconds:0.0} s; VACUUM ANALYZE");
        // One statement a command: several in one would run as one transaction, which VACUUM refuses.
        foreach (var table in new[] { "jobs", "job_parameter_keys", "prov_activities" })
        {
            await using var vacuum = new NpgsqlCommand($"VACUUM ANALYZE {table}", jobsConnection) { CommandTimeout = 600 };
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }

        return new FillResult(missing, clock.Elapsed, sample);
    }

    /// <summary>PostgreSQL: the database's size in bytes (tables and indexes).</summary>
    public static async Task<long> DatabaseBytesAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    private static readonly TimeSpan StartDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan EndDelay = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan QuoteDelay = TimeSpan.FromSeconds(1);

    // Each lives 7 days from now, so no sweep destroys them during the run.
    private static DateTime Lifetime() => DateTime.UtcNow.AddDays(7);

    /// <summary>The jobs to insert: one a second going back from the oldest one, numbered on from the jobs already there.</summary>
    private static IEnumerable<FilledJob> Jobs(DateTime oldest, int existing, int missing)
    {
        for (var i = 1; i <= missing; i++)
            yield return new FilledJob(NewJobId(), existing + i, oldest - TimeSpan.FromSeconds(i));
    }

    private static string ParametersOf(FilledJob job) => JsonSerializer.Serialize(new List<JobParameter> { new("text", job.Text) }, Json);

    private static string ActivityParametersOf(FilledJob job) => JsonSerializer.Serialize(new List<ProvParameterValue> { new("text", job.Text) }, Json);

    private static void Sampled(List<FilledJob> sample, FilledJob job, int done, int missing)
    {
        if (done % Math.Max(1, missing / SampleSize) == 0 && sample.Count < SampleSize)
            sample.Add(job);
    }

    private static void Progressed(string database, int done, int missing, Stopwatch clock)
    {
        if (done % ProgressEvery == 0 && done < missing)
            Progress.Say($"fill, {database}: {done:N0} of {missing:N0} rows, {done / clock.Elapsed.TotalSeconds:N0} rows/s");
    }

    private static SqliteConnection Open(string databasePath)
    {
        if (!File.Exists(databasePath))
            throw new FileNotFoundException("the server has not created its database", databasePath);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
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
