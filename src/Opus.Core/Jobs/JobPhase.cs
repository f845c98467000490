namespace Opus.Core.Jobs;

/// <summary>The ten UWS 1.1 execution phases (UWS 1.1 §2.1.3).</summary>
public enum JobPhase
{
    PENDING,
    QUEUED,
    EXECUTING,
    COMPLETED,
    ERROR,
    ABORTED,
    UNKNOWN,
    HELD,
    SUSPENDED,
    ARCHIVED,
}
