namespace Opus.Core.Provenance;

/// <summary>
/// One used or generated entity of a finished job (table prov_links): what the graph traversal
/// walks. The key is (job, kind, role, index).
/// </summary>
public sealed class ProvLinkRow
{
    public required string JobId { get; init; }

    public ProvLinkKind Kind { get; init; }

    /// <summary>The Used or Generated group's name (the relation's prov:role).</summary>
    public required string Role { get; init; }

    /// <summary>1-based position within the group.</summary>
    public int Index { get; init; }

    public ProvEntityKind EntityKind { get; init; }

    /// <summary>The content digest, for <see cref="ProvEntityKind.Content"/> and <see cref="ProvEntityKind.Result"/>.</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// For job-specific entities, their path under the job: "used/ROLE[/N]" or "results/RESULTID"
    /// (unencoded); null for content entities, which are named by their digest.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>An external URL or a plain value.</summary>
    public string? Value { get; init; }

    /// <summary>The file name the job saw or wrote (the label of a job-specific result).</summary>
    public string? FileName { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Usage time (the job's start) or generation time (its end).</summary>
    public DateTime Time { get; init; }
}

public enum ProvLinkKind
{
    Used,
    Generated,
}

public enum ProvEntityKind
{
    /// <summary>Stored content, opus_store:DIGEST; when generated, this job is its (first) generator.</summary>
    Content,

    /// <summary>A result whose content existed before: opus_job:NAME/ID/results/RESULT, specializationOf the content.</summary>
    Result,

    /// <summary>A URL the server never read: opus_job:NAME/ID/used/ROLE[/N] with prov:location.</summary>
    External,

    /// <summary>A plain value: opus_job:NAME/ID/used/ROLE[/N] of type voprov:ValueEntity.</summary>
    Value,
}
