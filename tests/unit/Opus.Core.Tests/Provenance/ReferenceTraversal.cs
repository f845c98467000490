using Opus.Core.Provenance;

namespace Opus.Core.Tests.Provenance;

/// <summary>
/// The traversal as it was before it read ahead (node by node with a queue, each read a query of its
/// own), kept verbatim as the reference the batched <see cref="ProvenanceTraversal"/> is compared with.
/// </summary>
public static class ReferenceTraversal
{
    public static async Task<ProvSelection> RunAsync(
        IProvenanceGraph graph, IReadOnlyList<ProvNode> starts, int? depth, ProvenanceDirection direction,
        Func<string?, bool> mayRead, CancellationToken cancellationToken)
    {
        if (direction != ProvenanceDirection.Both)
            return await WalkAsync(graph, starts, depth, direction == ProvenanceDirection.Forward, mayRead, cancellationToken);
        var back = await WalkAsync(graph, starts, depth, forward: false, mayRead, cancellationToken);
        back.UnionWith(await WalkAsync(graph, starts, depth, forward: true, mayRead, cancellationToken));
        return back;
    }

    private static async Task<ProvSelection> WalkAsync(
        IProvenanceGraph graph, IReadOnlyList<ProvNode> starts, int? depth, bool forward, Func<string?, bool> mayRead, CancellationToken cancellationToken)
    {
        var selection = new ProvSelection();
        var queue = new Queue<ProvNode>();

        async Task AddAsync(ProvNode node, int distance)
        {
            if (!selection.Distances.TryAdd(node, distance))
                return;
            queue.Enqueue(node);
            // A re-generated result brings its content entity at no step cost (rule 2).
            if (node is JobEntityNode { IsResult: true } result
                && (await graph.LinksOfJobAsync(result.JobId, cancellationToken)).FirstOrDefault(l => l.Key == result.Key) is { Sha256: { } sha })
                await AddAsync(new ContentNode(sha), distance);
        }

        foreach (var start in starts)
            await AddAsync(start, 0);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            var distance = selection.Distances[node];
            if (depth is { } limit && distance >= limit)
                continue;
            foreach (var next in await NeighboursAsync(graph, node, forward, mayRead, cancellationToken))
                await AddAsync(next, distance + 1);
        }

        return selection;
    }

    private static async Task<List<ProvNode>> NeighboursAsync(
        IProvenanceGraph graph, ProvNode node, bool forward, Func<string?, bool> mayRead, CancellationToken cancellationToken)
    {
        var next = new List<ProvNode>();
        switch (node)
        {
            case JobNode job:
                // BACK: the entities it used; FORWARD: the entities it generated.
                var kind = forward ? ProvLinkKind.Generated : ProvLinkKind.Used;
                foreach (var link in (await graph.LinksOfJobAsync(job.JobId, cancellationToken)).Where(l => l.Kind == kind))
                    next.Add(ProvenanceTraversal.EntityOf(link));
                break;
            case ContentNode content:
                // BACK: the job that generated it; FORWARD: the jobs that used it. Only jobs the caller may read.
                var wanted = forward ? ProvLinkKind.Used : ProvLinkKind.Generated;
                foreach (var link in (await graph.LinksOfContentAsync(content.Sha256, cancellationToken))
                             .Where(l => l.Kind == wanted && l.EntityKind == ProvEntityKind.Content))
                {
                    if (await graph.ActivityAsync(link.JobId, cancellationToken) is { } activity && mayRead(activity.Owner))
                        next.Add(new JobNode(link.JobId));
                }

                break;
            case JobEntityNode entity when entity.IsResult != forward:
                // A re-generated result comes from its job; a value or URL leads forward to the job that used it.
                if (await graph.ActivityAsync(entity.JobId, cancellationToken) is { } owner && mayRead(owner.Owner))
                    next.Add(new JobNode(entity.JobId));
                break;
        }

        return next;
    }
}
