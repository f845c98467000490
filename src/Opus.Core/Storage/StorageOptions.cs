namespace Opus.Core.Storage;

/// <summary>Configuration section Opus:Storage.</summary>
public sealed class StorageOptions
{
    /// <summary>"Sqlite" or "Postgres" (also "PostgreSQL", "Npgsql"); empty: Opus:StorageProvider.</summary>
    public string? Provider { get; set; }

    /// <summary>For PostgreSQL, e.g. "Host=127.0.0.1;Port=5432;Database=opus;Username=opus;Password=...".</summary>
    public string? ConnectionString { get; set; }

    /// <summary>True for the names PostgreSQL goes by in configuration.</summary>
    public static bool IsPostgres(string? provider) =>
        provider?.Trim().ToLowerInvariant() is "postgres" or "postgresql" or "npgsql" or "pgsql";
}
