namespace Opus.Core.Provenance;

/// <summary>
/// Breadth-first traversal of the job/entity graph (section 7.2). A node at distance d is expanded
/// only while d is below the depth; each node is visited once; a job the caller may not read is never
/// reached, so the traversal stops at the entity. BOTH is the union of a BACK and a FORWARD traversal.
/// It goes level by level: before a level is expanded, what its nodes lead to is asked of the graph
/// at once (<see cref="IProvenanceGraph.ReadAheadAsync"/>, <see cref="IProvenanceGraph.PreloadAsync"/>),
/// so a database answers in a few round trips per walk rather than one or more per node. The nodes,
/// and the order in which they are selected, are those of a node-by-node walk with a queue.
/// </summary>
public static class ProvenanceTraversal
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
        // The nodes at the distance being reached, in the order they were selected (a queue's order).
        var frontier = new List<ProvNode>();

        async Task AddAsync(ProvNode node, int distance)
        {
            if (!selection.Distances.TryAdd(node, distance))
                return;
            frontier.Add(node);
            // A re-generated result brings its content entity at no step cost (rule 2).
            if (node is JobEntityNode { IsResult: true } result
                && (await graph.LinksOfJobAsync(result.JobId, cancellationToken)).FirstOrDefault(l => l.Key == result.Key) is { Sha256: { } sha })
                await AddAsync(new ContentNode(sha), distance);
        }

        foreach (var start in starts)
            await AddAsync(start, 0);
        for (var distance = 0; frontier.Count > 0 && (depth is not { } limit || distance < limit); distance++)
        {
            var level = frontier;
            frontier = [];
            await PreloadLevelAsync(graph, level, distance, depth, forward, cancellationToken);
            foreach (var node in level)
            {
                foreach (var next in await NeighboursAsync(graph, node, forward, mayRead, cancellationToken))
                    await AddAsync(next, distance + 1);
            }
        }

        return selection;
    }

    /// <summary>
    /// Asks the graph at once for what expanding <paramref name="level"/> reads: everything reachable
    /// from its jobs within the depth left, the links of its jobs and contents, then the activities
    /// (owners) of the jobs those links lead to.
    /// </summary>
    private static async Task PreloadLevelAsync(
        IProvenanceGraph graph, List<ProvNode> level, int distance, int? depth, bool forward, CancellationToken cancellationToken)
    {
        var links = new ProvenancePreload();
        foreach (var node in level)
        {
            switch (node)
            {
                case JobNode job:
                    links.JobLinks.Add(job.JobId);
                    break;
                case ContentNode content:
                    links.ContentLinks.Add(content.Sha256);
                    break;
                case JobEntityNode entity when entity.IsResult != forward:
                    links.Activities.Add(entity.JobId);
                    break;
            }
        }

        // A job at distance d reaches the next jobs at d + 2 (job, entity, job).
        if (links.JobLinks.Count > 0)
            await graph.ReadAheadAsync(links.JobLinks, forward, depth is { } limit ? (limit - distance) / 2 : null, cancellationToken);
        await graph.PreloadAsync(links, cancellationToken);

        var owners = new ProvenancePreload();
        var wanted = forward ? ProvLinkKind.Used : ProvLinkKind.Generated;
        foreach (var sha in links.ContentLinks)
        {
            foreach (var link in await graph.LinksOfContentAsync(sha, cancellationToken))
            {
                if (link.Kind == wanted && link.EntityKind == ProvEntityKind.Content)
                    owners.Activities.Add(link.JobId);
            }
        }

        await graph.PreloadAsync(owners, cancellationToken);
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
                    next.Add(EntityOf(link));
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

    /// <summary>The entity node a link names: the content for stored files, else the job's own entity.</summary>
    public static ProvNode EntityOf(ProvLinkRow link) =>
        link.EntityKind == ProvEntityKind.Content && link.Sha256 is { } sha ? new ContentNode(sha) : new JobEntityNode(link.JobId, link.Key!);
}
