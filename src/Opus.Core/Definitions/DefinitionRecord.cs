namespace Opus.Core.Definitions;

/// <summary>One stored version of a job definition. Versions are never changed or removed: jobs keep the one they ran.</summary>
public sealed class DefinitionRecord
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public DefinitionStatus Status { get; set; }

    /// <summary>The definition as JSON (the model's canonical form).</summary>
    public required string Document { get; init; }

    public DateTime CreatedAt { get; init; }

    public string? CreatedBy { get; init; }

    public DateTime? PublishedAt { get; set; }

    public string? PublishedBy { get; set; }
}

/// <summary>The propose/publish workflow of OPUS: proposals wait for an admin; deletion withdraws every version.</summary>
public enum DefinitionStatus
{
    Proposed,
    Published,
    Withdrawn,
}
