namespace Opus.Core.Jobs;

/// <summary>A UWS job as stored. Phase changes go through <see cref="JobService"/>'s compare-and-set, never by assignment.</summary>
public sealed class Job
{
    public required string Id { get; init; }

    /// <summary>The job list it belongs to: the definition's name.</summary>
    public required string Definition { get; init; }

    public required string DefinitionVersion { get; init; }

    public string? RunId { get; set; }

    public string? Owner { get; set; }

    public JobPhase Phase { get; set; }

    public DateTime CreationTime { get; init; }

    public DateTime? StartTime { get; set; }

    public DateTime? EndTime { get; set; }

    /// <summary>Wall-clock seconds the job may run; 0 means unlimited.</summary>
    public int ExecutionDuration { get; set; }

    public DateTime? Destruction { get; set; }

    public DateTime? Quote { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary>"transient" or "fatal", as the schema's ErrorType.</summary>
    public string? ErrorType { get; set; }

    /// <summary>NOTIFY at creation: mail the owner when the job ends (true), or not (false); null follows the owner's preference.</summary>
    public bool? Notify { get; set; }

    public List<JobParameter> Parameters { get; set; } = [];

    public List<JobResult> Results { get; set; } = [];

    /// <summary>The used entities, resolved at creation.</summary>
    public List<JobInput> Inputs { get; set; } = [];

    /// <summary>Which manager runs it ("local", later "slurm").</summary>
    public string Manager { get; set; } = "local";

    /// <summary>The manager's handle (a process group id, a SLURM job id): never a key.</summary>
    public string? ManagerJobId { get; set; }

    /// <summary>SHA-256 of the per-job callback token; the token itself lives only in the job directory.</summary>
    public string? CallbackTokenHash { get; set; }

    /// <summary>The percentage the job's script last reported with opus_progress; null before any report.</summary>
    public int? ProgressPercent { get; set; }

    /// <summary>The message of that report (see <see cref="JobProgress"/>).</summary>
    public string? ProgressMessage { get; set; }

    /// <summary>The last progress report, or null.</summary>
    public JobProgress? Progress => ProgressPercent is { } percent ? new JobProgress(percent, ProgressMessage ?? "") : null;

    /// <summary>
    /// The claim of the one finisher collecting the job's results (set by compare-and-set before any file
    /// moves, cleared when the final phase is written): what the job ends as, and the results once known,
    /// so a finish whose write failed is taken up again by the sweep.
    /// </summary>
    public JobFinish? Finishing { get; set; }
}

/// <summary>How a job is being finished: see <see cref="Job.Finishing"/>.</summary>
public sealed record JobFinish(
    [property: System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<JobPhase>))] JobPhase Phase,
    string? ErrorMessage,
    DateTime EndTime,
    DateTime ClaimedAt,
    string ClaimedBy,
    List<JobResult>? Results = null);
