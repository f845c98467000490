using Microsoft.EntityFrameworkCore;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Provenance;

/// <summary>
/// ProvSAP in Core (provenance.md section 7), shared by /provsap, the per-job shortcuts and the
/// cmdlets: resolve the IDs the caller may read, traverse, build the document, write it in a format.
/// Another user's job is never shown: IDs naming one are "not found", traversal stops before it.
/// </summary>
public sealed class ProvenanceService(
    IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog, EntityStore store, JobRepository jobs, ProvenanceRecorder recorder,
    GraphvizRenderer graphviz)
{
    public async Task<ProvDocument> QueryAsync(Caller caller, ProvenanceQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Ids.Count == 0)
            throw new OpusValidationException("ID is missing: give a job id or an entity");
        var graph = new DatabaseProvenanceGraph(contexts, catalog, caller);
        // The jobs the IDs name, read at once rather than one query per ID.
        var named = new ProvenancePreload();
        foreach (var id in query.Ids)
        {
            if (InputResolver.StoreDigest(id.Trim()) is null && JobReference.Parse(id.Trim()) is { } reference)
            {
                named.Activities.Add(reference.JobId);
                if (reference.Path is not null)
                    named.JobLinks.Add(reference.JobId);
            }
        }

        await graph.PreloadAsync(named, cancellationToken);
        var starts = new List<ProvNode>();
        foreach (var id in query.Ids)
            starts.Add(await ResolveAsync(graph, caller, id, cancellationToken));
        var selection = await ProvenanceTraversal.RunAsync(graph, starts, query.Depth, query.Direction, caller.MayRead, cancellationToken);
        return await ProvenanceBuilder.BuildAsync(graph, selection, query, caller.MayRead, cancellationToken);
    }

    /// <summary>Writes a document in <paramref name="format"/>; drawings need Graphviz (<see cref="ProvenanceRenderException"/> otherwise).</summary>
    public async Task WriteAsync(ProvDocument document, ProvenanceFormat format, Stream output, ProvenanceQuery? drawing = null, CancellationToken cancellationToken = default)
    {
        switch (format)
        {
            case ProvenanceFormat.ProvJson:
                ProvJsonWriter.Write(document, output);
                break;
            case ProvenanceFormat.ProvXml:
                ProvXmlWriter.Write(document, output);
                break;
            case ProvenanceFormat.ProvN:
                ProvNWriter.Write(document, output);
                break;
            default:
                var dot = ProvDotWriter.Write(document, drawing?.Attributes ?? true, drawing?.GraphDirection ?? "LR");
                var image = await graphviz.RenderAsync(dot, format == ProvenanceFormat.ProvPng ? "png" : "svg", cancellationToken);
                await output.WriteAsync(image, cancellationToken);
                break;
        }

        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Query and write in one step, in the query's format (what Get-OpusProvenance exports to a file).</summary>
    public async Task ExportAsync(Caller caller, ProvenanceQuery query, Stream output, CancellationToken cancellationToken = default) =>
        await WriteAsync(await QueryAsync(caller, query, cancellationToken), query.Format, output, query, cancellationToken);

    /// <summary>The node an ID names, if the caller may read it; else 404 without saying whether it exists.</summary>
    private async Task<ProvNode> ResolveAsync(DatabaseProvenanceGraph graph, Caller caller, string id, CancellationToken cancellationToken)
    {
        var text = id.Trim();
        if (InputResolver.StoreDigest(text) is { } sha)
        {
            if (await ContentVisibleAsync(graph, caller, sha, cancellationToken))
                return new ContentNode(sha);
            throw NotFound(id);
        }

        var reference = JobReference.Parse(text) ?? throw NotFound(id);
        var activity = await graph.ActivityAsync(reference.JobId, cancellationToken);
        if (activity is null && await jobs.FindAsync(reference.JobId, cancellationToken) is { } job && caller.MayRead(job.Owner))
        {
            // A job of the caller's that has not ended yet has no provenance: say so rather than "not found".
            if (!job.Phase.IsFinal())
                throw new OpusNotFoundException($"ID '{id}': job '{job.Id}' is {job.Phase}; its provenance is recorded when it ends");
            // Ended a moment ago and not recorded yet: recording is idempotent, so do it now rather than answer 404.
            if (await recorder.RecordAsync(job.Id, cancellationToken))
                activity = await graph.ReloadActivityAsync(job.Id, cancellationToken);
        }

        if (activity is null || !caller.MayRead(activity.Owner) || (reference.Definition is { } name && name != activity.Definition))
            throw NotFound(id);

        if (reference.Path is null)
            return new JobNode(activity.JobId);
        var link = (await graph.LinksOfJobAsync(activity.JobId, cancellationToken)).FirstOrDefault(l => l.Key == reference.Path) ?? throw NotFound(id);
        return ProvenanceTraversal.EntityOf(link);
    }

    /// <summary>
    /// Section 4 rule 6: the caller registered the content, or may read a job that used or generated it
    /// (recorded provenance, or a job still running).
    /// </summary>
    private async Task<bool> ContentVisibleAsync(DatabaseProvenanceGraph graph, Caller caller, string sha, CancellationToken cancellationToken)
    {
        var stored = await graph.ContentAsync(sha, cancellationToken);
        var links = await graph.LinksOfContentAsync(sha, cancellationToken);
        if (stored is null && links.Count == 0)
            return false;
        if (caller.IsAdmin || (stored is not null && caller.MayRead(stored.Owner)))
            return true;
        // The jobs' owners are read a chunk at a time, not one query per job.
        foreach (var chunk in links.Select(l => l.JobId).Distinct(StringComparer.Ordinal).Chunk(DatabaseProvenanceGraph.ChunkSize))
        {
            var owners = new ProvenancePreload();
            owners.Activities.UnionWith(chunk);
            await graph.PreloadAsync(owners, cancellationToken);
            foreach (var jobId in chunk)
            {
                if (await graph.ActivityAsync(jobId, cancellationToken) is { } activity && caller.MayRead(activity.Owner))
                    return true;
            }
        }

        return await store.IsVisibleToAsync(sha, caller, cancellationToken);
    }

    private static OpusNotFoundException NotFound(string id) =>
        new($"ID '{(id.Length > 100 ? id[..100] + "..." : id)}': no job or entity with provenance that you may read");
}
