using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL of the tests: the one scripts/start-postgres.sh brings up (scripts/test.sh does), or
/// the server named by OPUS_TEST_POSTGRES (a connection string of a role that may create databases).
/// With OPUS_TEST_STORAGE=postgres every test server gets a database of its own, dropped when it stops.
/// </summary>
public static class TestPostgres
{
    public const string DefaultAdminConnection = "Host=127.0.0.1;Port=55432;Database=postgres;Username=opus;Password=opus-test";

    public static string AdminConnection =>
        Environment.GetEnvironmentVariable("OPUS_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultAdminConnection;

    /// <summary>True when the test run asks every server to store in PostgreSQL.</summary>
    public static bool IsDefaultStorage =>
        string.Equals(Environment.GetEnvironmentVariable("OPUS_TEST_STORAGE"), "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>Creates an empty database; returns its connection string. Fails with what to do when no PostgreSQL answers.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix = "opus_test")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
        await using (var connection = await OpenAdminAsync())
        await using (var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = await OpenAdminAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>An open connection to the server's database, whichever provider it uses.</summary>
    public static async Task<DbConnection> OpenDatabaseAsync(OpusServer server)
    {
        DbConnection connection = server.PostgresConnection is { } postgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Pooling = false }.ConnectionString)
            : new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(server.DataPath, "opus.db"),
                Pooling = false,
                DefaultTimeout = 10,
            }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(AdminConnection);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable ({e.Message}). Start it with scripts/start-postgres.sh (scripts/test.sh does), " +
                "or set OPUS_TEST_POSTGRES to the connection string of a role that may create databases.", e);
        }
    }
}
