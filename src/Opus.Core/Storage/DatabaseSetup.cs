using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Opus.Core.Jobs;

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

        await ExclusivelyAsync(contexts, async () =>
        {
            await AdoptHandWrittenChainAsync(db, cancellationToken);
            var fillKeys = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any(m => m.EndsWith("_JobListFilters", StringComparison.Ordinal));
            await db.Database.MigrateAsync(cancellationToken);
            if (fillKeys)
                await FillParameterKeysAsync(db, cancellationToken);
            if (db.Database.IsSqlite())
            {
                // Without statistics SQLite picks the first index that fits (the definition's, 100,000 rows)
                // over a far more selective one (a run ID, a parameter value): the job list's filters need them.
                // analysis_limit keeps it to a sample of each index, so start-up stays quick on a large database.
                await db.Database.ExecuteSqlRawAsync("PRAGMA analysis_limit = 1000; ANALYZE;", cancellationToken);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Once, when the migration that made job_parameter_keys is applied: the keys of the jobs made before it,
    /// so the job list's parameter filter finds them too. A thousand jobs at a time, in id order.
    /// </summary>
    private static async Task FillParameterKeysAsync(OpusDbContext db, CancellationToken cancellationToken)
    {
        var after = "";
        while (true)
        {
            var batch = await db.Jobs.AsNoTracking().Where(j => string.Compare(j.Id, after) > 0).OrderBy(j => j.Id)
                .Select(j => new { j.Id, j.Parameters }).Take(1000).ToListAsync(cancellationToken);
            if (batch.Count == 0)
                return;
            db.JobParameterKeys.AddRange(batch.SelectMany(j => JobParameterKey.For(j.Id, j.Parameters)));
            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
            after = batch[^1].Id;
        }
    }

    // The ids of the migrations written by hand before dotnet-ef was available here.
    private const string HandWrittenExternalIdentity = "20261121000006_ExternalIdentity";
    private const string HandWrittenJobFinishing = "20261207000007_JobFinishing";
    private static readonly string[] HandWritten =
    [
        "20261121000001_InitialCreate", "20261121000002_EntitiesAndInputs", "20261121000003_Definitions",
        "20261121000004_Users", "20261121000005_Provenance", HandWrittenExternalIdentity, HandWrittenJobFinishing,
    ];

    /// <summary>
    /// A database made by the hand-written migrations has their ids in its history. The generated
    /// baseline describes the same tables, so such a database is adopted in place, without copying
    /// a row: M0006's schema gets M0007's one column, then the old ids are replaced by the baseline's.
    /// </summary>
    private static async Task AdoptHandWrittenChainAsync(OpusDbContext db, CancellationToken cancellationToken)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Intersect(HandWritten).ToList();
        if (applied.Count == 0)
            return;
        if (!applied.Contains(HandWrittenExternalIdentity))
            throw new OpusConfigurationException(
                $"the database's schema is older than migration {HandWrittenExternalIdentity}: bring it up to that one with an earlier Opus first");

        var migrations = db.GetService<IMigrationsAssembly>();
        var history = db.GetService<IHistoryRepository>();
        var baseline = new HistoryRow(migrations.Migrations.Keys.First(), migrations.ModelSnapshot!.Model.GetProductVersion()!);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!applied.Contains(HandWrittenJobFinishing))
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE jobs ADD \"Finishing\" TEXT NULL", cancellationToken);
        foreach (var id in applied)
            await db.Database.ExecuteSqlRawAsync(history.GetDeleteScript(id), cancellationToken);
        await db.Database.ExecuteSqlRawAsync(history.GetInsertScript(baseline), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
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
