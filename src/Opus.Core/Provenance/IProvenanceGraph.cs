using Opus.Core.Definitions;
using Opus.Core.Store;

namespace Opus.Core.Provenance;

/// <summary>What traversal and document building read: recorded activities and links, stored entities, definitions.</summary>
public interface IProvenanceGraph
{
    Task<ProvActivityRow?> ActivityAsync(string jobId, CancellationToken cancellationToken);

    Task<IReadOnlyList<ProvLinkRow>> LinksOfJobAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The links (of every job) that name this content: who used it, who generated it.</summary>
    Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken);

    Task<StoredEntity?> ContentAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>The definition version a job ran; null when it cannot be read.</summary>
    Task<JobDefinition?> DefinitionAsync(string name, string version, CancellationToken cancellationToken);
}
