using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Storage;

namespace Opus.Core.Jobs;

/// <summary>
/// Start-up and housekeeping: migrates the database, loads the definitions folder, reconciles jobs
/// left active by a previous run, then at every sweep interval destroys expired jobs and takes over
/// the jobs of server processes that died (several processes on one database).
/// </summary>
public sealed class JobMaintenance(
    IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog, JobService jobs, OpusOptions options, ILogger<JobMaintenance> logger,
    Provenance.ProvenanceRecorder provenance)
    : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _sweeper;

    // Held while the server runs, so a local PowerShell session on the same folder knows it is not alone.
    private Client.DataFolderPresence? _presence;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _presence = Client.DataFolderPresence.Enter(options.FullDataPath);
        await DatabaseSetup.MigrateAsync(contexts, cancellationToken);
        if (options.DefinitionsPath is { } folder)
            await DatabaseSetup.ExclusivelyAsync(contexts, () => catalog.LoadFolderAsync(folder, cancellationToken), cancellationToken);
        else
            await catalog.ReloadAsync(cancellationToken);
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
