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

    /// <summary>
    /// Reads, in as few round trips as it can, what the methods above are about to be asked for (a
    /// traversal level, the entities of a document). A cache only: it never changes what they answer.
    /// A graph held in memory has nothing to do.
    /// </summary>
    Task PreloadAsync(ProvenancePreload preload, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Reads ahead what a walk may reach from <paramref name="jobs"/>, about to be expanded, in one
    /// direction: the jobs at most <paramref name="hops"/> job-to-job steps further (null: no limit;
    /// a hop is job, entity, job: two steps of DEPTH) that the caller may read, with their links, the
    /// entities those name and who used or generated them. A cache only, as <see cref="PreloadAsync"/>.
    /// </summary>
    Task ReadAheadAsync(IReadOnlyCollection<string> jobs, bool forward, int? hops, CancellationToken cancellationToken) => Task.CompletedTask;
}
