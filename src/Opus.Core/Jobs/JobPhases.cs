namespace Opus.Core.Jobs;

/// <summary>Phase rules: which phases are final, active, and worth blocking a WAIT on.</summary>
public static class JobPhases
{
    /// <summary>COMPLETED, ERROR and ABORTED: the job will not run again (UWS 6.7).</summary>
    public static bool IsFinal(this JobPhase phase) =>
        phase is JobPhase.COMPLETED or JobPhase.ERROR or JobPhase.ABORTED or JobPhase.ARCHIVED;

    /// <summary>Committed to run and not yet finished: counts against quotas, is watched by reconcile.</summary>
    public static bool IsActive(this JobPhase phase) =>
        phase is JobPhase.QUEUED or JobPhase.EXECUTING or JobPhase.HELD or JobPhase.SUSPENDED;

    /// <summary>Phases in which a WAIT request may block (UWS 7.4).</summary>
    public static bool CanBlock(this JobPhase phase) =>
        phase is JobPhase.PENDING or JobPhase.QUEUED or JobPhase.EXECUTING;

    /// <summary>Parses a phase name case-insensitively; null when it is not one of the ten.</summary>
    public static JobPhase? Parse(string? text) =>
        Enum.TryParse<JobPhase>(text, ignoreCase: true, out var phase) && Enum.IsDefined(phase) && !int.TryParse(text, out _)
            ? phase
            : null;
}
