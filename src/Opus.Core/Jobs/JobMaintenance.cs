using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Storage;

namespace Opus.Core.Jobs;

/// <summary>
/// Start-up and housekeeping: migrates the database, loads the definitions folder, reconciles jobs
/// left active by a previous run, then at every sweep interval destroys expired jobs, takes over
/// the jobs of server processes that died (several processes on one database), writes the ends that
/// could not be written (a full disk) and stops jobs long past their time limit.
/// </summary>
public sealed class JobMaintenance(
    IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog, JobService jobs, Execution.JobEvents events,
    IEnumerable<Execution.IJobManager> managers, OpusOptions options, ILogger<JobMaintenance> logger, Provenance.ProvenanceRecorder provenance)
    : IHostedService, IDisposable
{
    /// <summary>
    /// Settle the jobs a previous run left active and sweep: a server always, a local session only when it is
    /// alone on its data folder (otherwise the server or session already there does it).
    /// </summary>
    public bool Housekeeping { get; set; } = true;

    private readonly CancellationTokenSource _stopping = new();
    private Task? _sweeper;

    // Held while the server runs, so a local PowerShell session on the same folder knows it is not alone.
    private Sessions.DataFolderPresence? _presence;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Private to the server's user: other jobs and local users have no business in the database or the store.
        PrivateFiles.CreateFolder(options.FullDataPath);
        _presence = Sessions.DataFolderPresence.Enter(options.FullDataPath);
        await DatabaseSetup.MigrateAsync(contexts, cancellationToken);
        foreach (var file in new[] { "opus.db", "opus.db-wal", "opus.db-shm" })
            PrivateFiles.RestrictFile(Path.Combine(options.FullDataPath, file));
        PrivateFiles.CreateFolder(options.JobsPath);
        PrivateFiles.CreateFolder(options.StorePath);
        if (options.DefinitionsPath is { } folder)
            await DatabaseSetup.ExclusivelyAsync(contexts, () => catalog.LoadFolderAsync(folder, cancellationToken), cancellationToken);
        else
            await catalog.ReloadAsync(cancellationToken);
        if (!Housekeeping)
            return;
        await jobs.ReconcileAsync(cancellationToken);
        // The sweep's first pass, at once, also records the provenance of jobs that ended without it
        // (a crash right after their end, or a database from before provenance): not blocking the start.
        _sweeper = Task.Run(SweepAsync, CancellationToken.None);
    }

    private async Task SweepAsync()
    {
        using var timer = new PeriodicTimer(options.SweepInterval);
        try
        {
            do
            {
                try
                {
                    await jobs.DestroyExpiredAsync(_stopping.Token);
                    // Another server process on this database may have died with jobs in hand.
                    await jobs.TakeOverAsync(_stopping.Token);
                    // Ends whose write failed, then jobs whose runner or watcher is gone past their limit.
                    await events.RetryClaimsAsync(_stopping.Token);
                    foreach (var manager in managers)
                        await manager.SweepAsync(_stopping.Token);
                    await jobs.EnforceTimeLimitsAsync(_stopping.Token);
                    await provenance.RepairAsync(_stopping.Token);
                    // Another server process may have published or withdrawn definitions.
                    await catalog.ReloadAsync(_stopping.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "The destruction sweep failed; it runs again in {Interval}", options.SweepInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_sweeper is not null)
            await _sweeper.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _presence?.Dispose();
    }
}
