namespace Opus.Core.Jobs;

/// <summary>What a job list shows of each job (a UWS jobref).</summary>
public sealed record JobSummary(string Id, JobPhase Phase, string? RunId, string? Owner, DateTime CreationTime);
