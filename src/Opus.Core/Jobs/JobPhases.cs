namespace Opus.Core.Jobs;

/// <summary>Phase sets, one constant each: the only place that says which phases are final, active, and so on.</summary>
public static class JobPhases
{
    /// <summary>COMPLETED, ERROR, ABORTED and ARCHIVED: the job will not run again (UWS 6.7).</summary>
    public static readonly IReadOnlyList<JobPhase> Final = [JobPhase.COMPLETED, JobPhase.ERROR, JobPhase.ABORTED, JobPhase.ARCHIVED];

    /// <summary>Committed to run and not yet finished: counts against quotas, is watched by reconcile, may end.</summary>
    public static readonly IReadOnlyList<JobPhase> Active = [JobPhase.QUEUED, JobPhase.EXECUTING, JobPhase.HELD, JobPhase.SUSPENDED];

    /// <summary>Not finished: what an abort (or a destruction) may stop.</summary>
    public static readonly IReadOnlyList<JobPhase> Unfinished = [JobPhase.PENDING, .. Active];

    /// <summary>Taken up again after a restart: a manager had them in hand (HELD jobs wait for a client or SLURM).</summary>
    public static readonly IReadOnlyList<JobPhase> Reconciled = [JobPhase.QUEUED, JobPhase.EXECUTING, JobPhase.SUSPENDED];

    /// <summary>Phases in which a WAIT request may block (UWS 7.4).</summary>
    public static readonly IReadOnlyList<JobPhase> Blocking = [JobPhase.PENDING, JobPhase.QUEUED, JobPhase.EXECUTING];

    /// <summary>Every phase: for changes allowed whatever the phase (the destruction time).</summary>
    public static readonly IReadOnlyList<JobPhase> Any = Enum.GetValues<JobPhase>();

    public static bool IsFinal(this JobPhase phase) => Final.Contains(phase);

    public static bool IsActive(this JobPhase phase) => Active.Contains(phase);

    public static bool CanBlock(this JobPhase phase) => Blocking.Contains(phase);

    /// <summary>Parses a phase name case-insensitively; null when it is not one of the ten.</summary>
    public static JobPhase? Parse(string? text) =>
        Enum.TryParse<JobPhase>(text, ignoreCase: true, out var phase) && Enum.IsDefined(phase) && !int.TryParse(text, out _)
            ? phase
            : null;
}
