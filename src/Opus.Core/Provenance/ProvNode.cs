namespace Opus.Core.Provenance;

/// <summary>A node of the traversal: a job (activity) or a data entity.</summary>
public abstract record ProvNode;

/// <summary>A finished job.</summary>
public sealed record JobNode(string JobId) : ProvNode;

/// <summary>Stored content, opus_store:DIGEST.</summary>
public sealed record ContentNode(string Sha256) : ProvNode;

/// <summary>An entity that belongs to one job: a re-generated result, an external URL or a value ("results/X", "used/ROLE[/N]").</summary>
public sealed record JobEntityNode(string JobId, string Key) : ProvNode
{
    public bool IsResult => Key.StartsWith("results/", StringComparison.Ordinal);
}

/// <summary>What a traversal selected, with each node's distance from the nearest start.</summary>
public sealed class ProvSelection
{
    public Dictionary<ProvNode, int> Distances { get; } = [];

    public IEnumerable<string> Jobs => Distances.Keys.OfType<JobNode>().Select(j => j.JobId);

    public IEnumerable<string> Contents => Distances.Keys.OfType<ContentNode>().Select(c => c.Sha256);

    public IEnumerable<JobEntityNode> JobEntities => Distances.Keys.OfType<JobEntityNode>();

    public void UnionWith(ProvSelection other)
    {
        foreach (var (node, distance) in other.Distances)
            Distances[node] = Distances.TryGetValue(node, out var known) ? Math.Min(known, distance) : distance;
    }
}
