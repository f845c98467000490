using Microsoft.EntityFrameworkCore;

namespace Opus.Core.Storage;

/// <summary>Brings the database to the current schema at start-up.</summary>
public static class DatabaseSetup
{
    public static async Task MigrateAsync(IDbContextFactory<OpusDbContext> contexts, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers go on while a writer commits; it is a property of the file, set once.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }

        await db.Database.MigrateAsync(cancellationToken);
    }
}
