namespace Opus.Core.Store;

/// <summary>
/// One row per stored content (provenance.md section 4): the digest is the identity; the first
/// file name, content type and owner are kept; the generator is set once, by the job that first produced it.
/// </summary>
public sealed class StoredEntity
{
    public required string Sha256 { get; init; }

    public long Size { get; init; }

    public required string FileName { get; init; }

    public required string ContentType { get; init; }

    public DateTime CreationTime { get; init; }

    public string? Owner { get; init; }

    /// <summary>The job that generated this content first; null for uploaded or fetched files.</summary>
    public string? GeneratorJobId { get; init; }

    public string? GeneratorDefinition { get; init; }

    public string? GeneratorResult { get; init; }
}
