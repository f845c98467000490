namespace Opus.Core.Storage;

/// <summary>Configuration section Opus:Storage.</summary>
public sealed class StorageOptions
{
    /// <summary>"Sqlite" (default) or "Postgres" (also "PostgreSQL", "Npgsql").</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>For PostgreSQL, e.g. "Host=127.0.0.1;Port=5432;Database=opus;Username=opus;Password=..."; for SQLite, opus.db in the data folder by default.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite: the size the write-ahead log is kept under (checkpoints, then truncation; 64 MiB by default). Readers
    /// that never pause would otherwise keep the log from restarting, and it would grow without end.
    /// </summary>
    public long WalLimitBytes { get; set; } = 64L << 20;

    public bool IsPostgres => IsPostgresName(Provider);

    public bool IsSqlite => Provider?.Trim().Equals("sqlite", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>True for the names PostgreSQL goes by in configuration.</summary>
    public static bool IsPostgresName(string? provider) =>
        provider?.Trim().ToLowerInvariant() is "postgres" or "postgresql" or "npgsql" or "pgsql";
}
