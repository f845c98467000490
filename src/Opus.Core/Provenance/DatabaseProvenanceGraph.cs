using Microsoft.EntityFrameworkCore;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;

namespace Opus.Core.Provenance;

/// <summary>The provenance graph in the database, read lazily and cached for the life of one query.</summary>
internal sealed class DatabaseProvenanceGraph(IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog) : IProvenanceGraph
{
    private readonly Dictionary<string, ProvActivityRow?> _activities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ProvLinkRow>> _jobLinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ProvLinkRow>> _contentLinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredEntity?> _contents = new(StringComparer.Ordinal);

    public async Task<ProvActivityRow?> ActivityAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_activities.TryGetValue(jobId, out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return _activities[jobId] = await db.ProvActivities.AsNoTracking().FirstOrDefaultAsync(a => a.JobId == jobId, cancellationToken);
    }

    /// <summary>Reads a job's activity and links again (after it was recorded during the query).</summary>
    public Task<ProvActivityRow?> ReloadActivityAsync(string jobId, CancellationToken cancellationToken)
    {
        _activities.Remove(jobId);
        _jobLinks.Remove(jobId);
        return ActivityAsync(jobId, cancellationToken);
    }

    public async Task<IReadOnlyList<ProvLinkRow>> LinksOfJobAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_jobLinks.TryGetValue(jobId, out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var links = await db.ProvLinks.AsNoTracking().Where(l => l.JobId == jobId).ToListAsync(cancellationToken);
        return _jobLinks[jobId] = links.OrderBy(l => l.Kind).ThenBy(l => l.Role, StringComparer.Ordinal).ThenBy(l => l.Index).ToList();
    }

    public async Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken)
    {
        if (_contentLinks.TryGetValue(sha256, out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var links = await db.ProvLinks.AsNoTracking().Where(l => l.Sha256 == sha256).ToListAsync(cancellationToken);
        return _contentLinks[sha256] = links.OrderBy(l => l.Time).ThenBy(l => l.JobId, StringComparer.Ordinal).ToList();
    }

    public async Task<StoredEntity?> ContentAsync(string sha256, CancellationToken cancellationToken)
    {
        if (_contents.TryGetValue(sha256, out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return _contents[sha256] = await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.Sha256 == sha256, cancellationToken);
    }

    public async Task<JobDefinition?> DefinitionAsync(string name, string version, CancellationToken cancellationToken)
    {
        try
        {
            return await catalog.GetVersionAsync(name, version, cancellationToken);
        }
        catch (Exception e) when (e is OpusNotFoundException or OpusValidationException)
        {
            return null;
        }
    }
}
