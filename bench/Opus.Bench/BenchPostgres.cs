using Npgsql;

namespace Opus.Bench;

/// <summary>
/// The PostgreSQL the bench's PostgreSQL parts use: the one the tests use (scripts/start-postgres.sh), or the
/// server named by OPUS_TEST_POSTGRES (a connection string of a role that may create databases). Each part
/// gets a fresh database, dropped afterwards.
/// </summary>
public static class BenchPostgres
{
    private const string DefaultAdminConnection = "Host=127.0.0.1;Port=55432;Database=postgres;Username=opus;Password=opus-test";

    private static string AdminConnection =>
        Environment.GetEnvironmentVariable("OPUS_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultAdminConnection;

    /// <summary>Where the admin connection points (no password), for the report.</summary>
    public static string Describe() =>
        new NpgsqlConnectionStringBuilder(AdminConnection) is var b ? $"{b.Host}:{b.Port} as {b.Username}" : "";

    /// <summary>Creates an empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
        await using (var connection = await OpenAdminAsync(cancellationToken))
        await using (var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await command.ExecuteNonQueryAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        try
        {
            await using var connection = await OpenAdminAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            Console.Error.WriteLine($"could not drop database {name}: {e.Message}");
        }
    }

    /// <summary>The server arguments that put its storage in the database of <paramref name="connectionString"/>.</summary>
    public static string[] ServerArguments(string connectionString) =>
        ["--Opus:Storage:Provider=Postgres", $"--Opus:Storage:ConnectionString={connectionString}"];

    private static async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnection) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at {Describe()} ({e.Message}): start it with scripts/start-postgres.sh, " +
                "or set OPUS_TEST_POSTGRES to the connection string of a role that may create databases", e);
        }
    }
}
