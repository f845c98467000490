using Opus.Core.Jobs;

namespace Opus.Core.Provenance;

/// <summary>
/// The provenance of one finished job (table prov_activities). Independent of the jobs table, so
/// deleting a job keeps it (provenance.md section 4 rule 7).
/// </summary>
public sealed class ProvActivityRow
{
    public required string JobId { get; init; }

    public required string Definition { get; init; }

    /// <summary>The definition version the job ran; its descriptions come from that version.</summary>
    public required string DefinitionVersion { get; init; }

    public string? Owner { get; init; }

    public JobPhase Phase { get; init; }

    public DateTime StartTime { get; init; }

    public DateTime EndTime { get; init; }

    /// <summary>Every configuration parameter with the value the job ran with, defaults included.</summary>
    public List<ProvParameterValue> Parameters { get; init; } = [];

    /// <summary>The job's own detailed provenance (PROV-JSON, identifiers already rewritten into ours), or null.</summary>
    public string? Internal { get; init; }

    public DateTime RecordedAt { get; init; }
}

public sealed record ProvParameterValue(string Name, string Value);
