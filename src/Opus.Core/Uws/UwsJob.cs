using Opus.Core.Jobs;

namespace Opus.Core.Uws;

/// <summary>
/// A job as a UWS client sees it, read from the REST document or taken from Core directly:
/// what the job document shows, and nothing internal to the server (tokens, manager handles).
/// </summary>
public sealed record UwsJob
{
    /// <summary>The job list (definition name) the job belongs to.</summary>
    public required string Definition { get; init; }

    public required string Id { get; init; }

    /// <summary>The version of the definition the job runs (from the document's jobInfo); null from a server that does not say.</summary>
    public string? DefinitionVersion { get; init; }

    public string? RunId { get; init; }

    public string? Owner { get; init; }

    public JobPhase Phase { get; init; }

    public DateTime? Quote { get; init; }

    public DateTime CreationTime { get; init; }

    public DateTime? StartTime { get; init; }

    public DateTime? EndTime { get; init; }

    /// <summary>Wall-clock seconds the job may run; 0 means unlimited.</summary>
    public int ExecutionDuration { get; init; }

    public DateTime? Destruction { get; init; }

    public string? ErrorMessage { get; init; }

    public string? ErrorType { get; init; }

    /// <summary>The last progress the job's script reported (opus_progress), or null.</summary>
    public JobProgress? Progress { get; init; }

    public IReadOnlyList<JobParameter> Parameters { get; init; } = [];

    public IReadOnlyList<UwsResult> Results { get; init; } = [];

    /// <summary>The job as Core holds it, without the server's internals.</summary>
    public static UwsJob From(Job job) => new()
    {
        Definition = job.Definition,
        Id = job.Id,
        DefinitionVersion = job.DefinitionVersion,
        RunId = job.RunId,
        Owner = job.Owner,
        Phase = job.Phase,
        Quote = job.Quote,
        CreationTime = job.CreationTime,
        StartTime = job.StartTime,
        EndTime = job.EndTime,
        ExecutionDuration = job.ExecutionDuration,
        Destruction = job.Destruction,
        ErrorMessage = job.Phase == JobPhase.ERROR ? job.ErrorMessage : null,
        ErrorType = job.Phase == JobPhase.ERROR ? job.ErrorType : null,
        Progress = job.Progress,
        Parameters = job.Parameters.ToList(),
        Results = job.Results.Select(r => new UwsResult(job.Definition, job.Id, r.Id, r.FileName, r.Size, r.MimeType, r.Sha256)).ToList(),
    };
}

/// <summary>One entry of a job list (a UWS jobref), with the list it came from.</summary>
public sealed record UwsJobRef(string Definition, string Id, JobPhase Phase, string? RunId, string? Owner, DateTime CreationTime)
{
    public static UwsJobRef From(string definition, JobSummary summary) =>
        new(definition, summary.Id, summary.Phase, summary.RunId, summary.Owner, summary.CreationTime);
}

/// <summary>A result of a job: its UWS id (<paramref name="Name"/>), the file it came from, and where to fetch it.</summary>
/// <param name="Href">The result's URL on a server; null in a local session.</param>
public sealed record UwsResult(string Definition, string JobId, string Name, string? FileName, long? Size, string? MimeType, string? Sha256, string? Href = null);
