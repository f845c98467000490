using Microsoft.EntityFrameworkCore;

namespace Opus.Core.Storage;

/// <summary>Brings the database to the current schema at start-up.</summary>
public static class DatabaseSetup
{
    // The PostgreSQL advisory lock of the start-up steps ("Opus" in ASCII); any constant no other application uses.
    private const long StartupLock = 0x4F707573;

    public static async Task MigrateAsync(IDbContextFactory<OpusDbContext> contexts, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers go on while a writer commits; it is a property of the file, set once.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }

        await ExclusivelyAsync(contexts, () => db.Database.MigrateAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Runs a start-up step (migrating, loading the sample definitions, creating the first admin) while
    /// holding a PostgreSQL advisory lock, so that server processes starting at the same moment on one
    /// database take these steps one after the other: the later one finds the work done instead of
    /// failing on a duplicate key. SQLite has one server process per data folder: the step just runs.
    /// Steps must not nest (the lock is held by another connection than the step's own).
    /// </summary>
    public static async Task ExclusivelyAsync(IDbContextFactory<OpusDbContext> contexts, Func<Task> step, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await step();
            return;
        }

        // The other process may hold the lock for a whole migration: wait longer than a command's usual 30 s.
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        // A transaction-level lock: released by commit, rollback or a lost connection, never left behind in the pool.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({StartupLock})", cancellationToken);
        await step();
        await transaction.CommitAsync(cancellationToken);
    }
}
