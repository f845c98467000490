using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Sessions;

/// <summary>A new job: parameters in order (a name may repeat where the definition allows it) and local files for inputs.</summary>
public sealed record JobRequest(string Definition)
{
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>Files to upload, by input or file parameter name.</summary>
    public IReadOnlyList<JobFile> Files { get; init; } = [];

    public string? RunId { get; init; }

    public int? ExecutionDuration { get; init; }

    public DateTime? Destruction { get; init; }

    /// <summary>Queue the job at once (PHASE=RUN at creation).</summary>
    public bool Start { get; init; }
}

/// <summary>A local file given for the input or file parameter <paramref name="Name"/>.</summary>
public sealed record JobFile(string Name, string Path);

/// <summary>Which jobs to list (UWS 2.3-2.6): phases (any of), created after, the newest N; every list when Definition is null.</summary>
public sealed record JobListQuery(string? Definition = null, IReadOnlyCollection<JobPhase>? Phases = null, DateTime? After = null, int? Last = null);

/// <summary>What Set-UwsJob changes; null leaves a value as it is.</summary>
public sealed record JobChanges(
    IReadOnlyList<KeyValuePair<string, string>>? Parameters = null,
    int? ExecutionDuration = null,
    DateTime? Destruction = null)
{
    public bool IsEmpty => Parameters is not { Count: > 0 } && ExecutionDuration is null && Destruction is null;
}

public enum JobLog
{
    Stdout,
    Stderr,
}

/// <summary>A stored version of a definition, as an import answers.</summary>
public sealed record DefinitionVersion(string Name, string Version, DefinitionStatus Status, string? Source = null);

/// <summary>A new user.</summary>
public sealed record UserRequest(string UserName)
{
    public string? DisplayName { get; init; }

    public string? Email { get; init; }

    public IReadOnlyList<string> Roles { get; init; } = [];

    public bool Active { get; init; } = true;

    /// <summary>The SCIM externalId: the user's OIDC subject (sub) at the identity provider, which links the account at its first sign-in; none when null or "".</summary>
    public string? ExternalId { get; init; }

    /// <summary>The SLURM account the user's jobs are charged to (--account); none when null or "".</summary>
    public string? SlurmAccount { get; init; }
}

/// <summary>What Set-OpusUser changes; null leaves a value as it is, "" clears e-mail, display name, externalId and SLURM account.</summary>
public sealed record UserChanges(
    IReadOnlyList<string>? Roles = null,
    bool? Active = null,
    string? Email = null,
    string? DisplayName = null,
    string? ExternalId = null,
    string? SlurmAccount = null,
    bool? NotifyOnJobEnd = null)
{
    public bool IsEmpty => Roles is null && Active is null && Email is null && DisplayName is null && ExternalId is null && SlurmAccount is null
        && NotifyOnJobEnd is null;
}

/// <summary>An API token as it may be shown: never its hash; the secret only in the answer that issued it.</summary>
public sealed record UserToken(string UserName, string Id, string Name, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt)
{
    /// <summary>The token itself: set once, when it is issued.</summary>
    public string? Secret { get; init; }
}

/// <summary>The serializations ProvSAP answers in.</summary>
public enum ProvenanceFormat
{
    ProvJson,
    ProvXml,
    ProvN,
    ProvSvg,
}

/// <summary>A ProvSAP request for one job or entity id.</summary>
public sealed record ProvenanceQuery(string Id, ProvenanceFormat Format = ProvenanceFormat.ProvJson, int? Depth = null, string? Direction = null, string? Model = null);

/// <summary>A provenance document: its text in the asked format.</summary>
public sealed record ProvenanceDocument(string Id, ProvenanceFormat Format, string MediaType, string Content);
