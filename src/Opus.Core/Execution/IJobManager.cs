using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Runs prepared job directories somewhere (this machine, a cluster). Managers do not change
/// phases themselves: they report what they see to <see cref="JobEvents"/>, which applies it as a named transition.
/// </summary>
public interface IJobManager
{
    /// <summary>The name definitions and configuration use ("local", "slurm").</summary>
    string Name { get; }

    /// <summary>Hands a QUEUED job, whose directory is prepared, to the manager.</summary>
    Task SubmitAsync(Job job, CancellationToken cancellationToken = default);

    /// <summary>Stops the job's processes, if any are running; the phase is already set by the caller.</summary>
    Task KillAsync(Job job, CancellationToken cancellationToken = default);

    /// <summary>After a restart: takes charge of an active job again, or settles it from what is left.</summary>
    Task ReconcileAsync(Job job, CancellationToken cancellationToken = default);

    /// <summary>
    /// At every maintenance sweep: takes charge of (or settles) an active job whose owning server process
    /// has died, by the rules of <see cref="ReconcileAsync"/>; a job of a live process is left alone.
    /// Managers that watch their jobs in another way (SLURM's own reconcile loop) need nothing here.
    /// </summary>
    Task TakeOverAsync(Job job, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>
    /// How long past a job's execution duration the sweep waits before it stops the job itself: the manager's
    /// own limit comes first (a scheduler's may be coarse: SLURM's are whole minutes, enforced every 30 s).
    /// </summary>
    TimeSpan TimeLimitGrace => TimeSpan.FromMinutes(1);

    /// <summary>At every maintenance sweep: the manager's own retries (a job whose end it could not settle).</summary>
    Task SweepAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
