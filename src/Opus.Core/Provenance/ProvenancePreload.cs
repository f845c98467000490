namespace Opus.Core.Provenance;

/// <summary>What a traversal level or a document is about to read from an <see cref="IProvenanceGraph"/>, to be fetched in a few round trips.</summary>
public sealed class ProvenancePreload
{
    /// <summary>Jobs whose activity row is wanted (<see cref="IProvenanceGraph.ActivityAsync"/>).</summary>
    public HashSet<string> Activities { get; } = new(StringComparer.Ordinal);

    /// <summary>Jobs whose links are wanted (<see cref="IProvenanceGraph.LinksOfJobAsync"/>).</summary>
    public HashSet<string> JobLinks { get; } = new(StringComparer.Ordinal);

    /// <summary>Contents whose links (of every job) are wanted (<see cref="IProvenanceGraph.LinksOfContentAsync"/>).</summary>
    public HashSet<string> ContentLinks { get; } = new(StringComparer.Ordinal);

    /// <summary>Contents whose stored row is wanted (<see cref="IProvenanceGraph.ContentAsync"/>).</summary>
    public HashSet<string> Contents { get; } = new(StringComparer.Ordinal);
}
