namespace Opus.Core.Jobs;

/// <summary>A named phase change: the phases it may start from and the one it leads to.</summary>
public sealed record JobTransition(string Name, IReadOnlyList<JobPhase> From, JobPhase To)
{
    public bool IsLegalFrom(JobPhase phase) => From.Contains(phase);

    public override string ToString() => Name;
}

/// <summary>
/// The transition table: every phase change of a job is one of these, applied by
/// <see cref="JobRepository.TryTransitionAsync(string, JobTransition, Action{Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder{Job}}?, CancellationToken)"/>
/// as a compare-and-set on its legal-from set. No caller spells a from-set of its own.
/// </summary>
public static class JobTransitions
{
    /// <summary>PHASE=RUN: a client commits the job to run (a job held before submission is run the same way).</summary>
    public static readonly JobTransition Queue = new("queue", [JobPhase.PENDING, JobPhase.HELD], JobPhase.QUEUED);

    /// <summary>A job its scheduler held after submission (SLURM: scontrol hold) is released.</summary>
    public static readonly JobTransition Release = new("release", [JobPhase.HELD], JobPhase.QUEUED);

    /// <summary>The scheduler holds a submitted job.</summary>
    public static readonly JobTransition Hold = new("hold", [JobPhase.QUEUED], JobPhase.HELD);

    /// <summary>The runner reports that the script started (or the scheduler says it runs again).</summary>
    public static readonly JobTransition Start = new("start", [JobPhase.QUEUED, JobPhase.HELD, JobPhase.SUSPENDED], JobPhase.EXECUTING);

    /// <summary>The scheduler runs a job again from the start (SLURM requeued it when its node failed, as its definition allows).</summary>
    public static readonly JobTransition Requeue = new("requeue", [JobPhase.EXECUTING, JobPhase.SUSPENDED], JobPhase.QUEUED);

    /// <summary>The scheduler suspends a running job.</summary>
    public static readonly JobTransition Suspend = new("suspend", [JobPhase.EXECUTING], JobPhase.SUSPENDED);

    /// <summary>The job ended well: its results are collected first (see <see cref="Execution.JobEvents"/>).</summary>
    public static readonly JobTransition Complete = new("complete", JobPhases.Active, JobPhase.COMPLETED);

    /// <summary>The job failed: a script error, a signal, a time limit, a lost node, a server that could not start it.</summary>
    public static readonly JobTransition Fail = new("fail", JobPhases.Active, JobPhase.ERROR);

    /// <summary>PHASE=ABORT or a destruction: any unfinished job stops at once.</summary>
    public static readonly JobTransition Abort = new("abort", JobPhases.Unfinished, JobPhase.ABORTED);

    /// <summary>
    /// Opus:Destruction=archive: at its destruction time a job that is not running is kept as ARCHIVED (UWS 1.1),
    /// its files and result list removed, its record and provenance kept. The one change out of a final phase.
    /// </summary>
    public static readonly JobTransition Archive = new("archive", [JobPhase.PENDING, JobPhase.COMPLETED, JobPhase.ERROR, JobPhase.ABORTED], JobPhase.ARCHIVED);

    public static readonly IReadOnlyList<JobTransition> All = [Queue, Release, Hold, Start, Requeue, Suspend, Complete, Fail, Abort, Archive];

    /// <summary>The transition that ends a job in <paramref name="phase"/> (COMPLETED, ERROR or ABORTED).</summary>
    public static JobTransition Ending(JobPhase phase) => phase switch
    {
        JobPhase.COMPLETED => Complete,
        JobPhase.ERROR => Fail,
        JobPhase.ABORTED => Abort,
        _ => throw new ArgumentOutOfRangeException(nameof(phase), phase, "not a phase a job ends in"),
    };

    /// <summary>True when some transition leads from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsLegal(JobPhase from, JobPhase to) => All.Any(t => t.To == to && t.IsLegalFrom(from));
}
