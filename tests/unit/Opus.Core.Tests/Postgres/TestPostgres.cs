using Npgsql;

namespace Opus.Core.Tests.Postgres;

/// <summary>
/// The PostgreSQL of the tests: the one scripts/start-postgres.sh brings up (scripts/test.sh does), or
/// the server named by OPUS_TEST_POSTGRES (a connection string of a role that may create databases).
/// Each test gets a database of its own, dropped afterwards.
/// </summary>
public sealed class TestPostgres : IAsyncDisposable
{
    public const string DefaultAdminConnection = "Host=127.0.0.1;Port=55432;Database=postgres;Username=opus;Password=opus-test";

    private readonly List<string> _databases = [];

    public static string AdminConnection =>
        Environment.GetEnvironmentVariable("OPUS_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultAdminConnection;

    /// <summary>Creates an empty database; fails with what to do when no PostgreSQL answers.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
        await using (var connection = await OpenAdminAsync())
        await using (var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
            await command.ExecuteNonQueryAsync();
        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name, Pooling = false }.ConnectionString;
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

    public async ValueTask DisposeAsync()
    {
        if (_databases.Count == 0)
            return;
        NpgsqlConnection.ClearAllPools();
        await using var connection = await OpenAdminAsync();
        foreach (var name in _databases)
        {
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
