namespace Opus.Core.Jobs;

/// <summary>What a client asks for when it creates a job.</summary>
public sealed class JobCreation
{
    public required string Definition { get; init; }

    /// <summary>Job parameters in the order given; a name may repeat only where the definition allows it.</summary>
    public List<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>Uploaded content for file parameters and used entities.</summary>
    public List<JobUpload> Uploads { get; init; } = [];

    public string? RunId { get; init; }

    public int? ExecutionDuration { get; init; }

    public DateTime? Destruction { get; init; }

    /// <summary>NOTIFY: mail the owner when the job ends (true) or not (false); null follows the owner's preference.</summary>
    public bool? Notify { get; init; }

    /// <summary>PHASE=RUN in the creation request: queue the job at once.</summary>
    public bool Run { get; init; }
}

/// <summary>An uploaded file for the parameter or used entity <paramref name="Name"/>.</summary>
public sealed record JobUpload(string Name, string FileName, Func<Stream> Open);
