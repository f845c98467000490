using Microsoft.EntityFrameworkCore;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Provenance;

/// <summary>
/// The provenance graph in the database, cached for the life of one query. Rows are read ahead in
/// batches (<see cref="PreloadAsync"/>: one query per table and 500 ids) and, from the jobs a walk
/// is about to expand, by one recursive query that finds every job it may reach (<see cref="ReadAheadAsync"/>);
/// what was not read ahead is read one row at a time.
/// </summary>
/// <param name="reader">Whose walk this is: the read-ahead follows only jobs they may read (null: every job).</param>
internal sealed class DatabaseProvenanceGraph(IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog, Caller? reader = null) : IProvenanceGraph
{
    /// <summary>Ids per IN list: well within the parameter limits of SQLite (32,766) and PostgreSQL (65,535).</summary>
    public const int ChunkSize = 500;

    /// <summary>
    /// Above this many hops the read-ahead does not count them: a job reachable by paths of many lengths
    /// would make a row per length (up to jobs x hops); everything reachable is read instead, which is
    /// a superset of what the walk needs and a row per job.
    /// </summary>
    private const int CountedHops = 32;

    private static readonly string Used = nameof(ProvLinkKind.Used);
    private static readonly string Generated = nameof(ProvLinkKind.Generated);
    private static readonly string Content = nameof(ProvEntityKind.Content);
    private static readonly string Result = nameof(ProvEntityKind.Result);

    private readonly Dictionary<string, ProvActivityRow?> _activities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ProvLinkRow>> _jobLinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<ProvLinkRow>> _contentLinks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredEntity?> _contents = new(StringComparer.Ordinal);

    /// <summary>Per direction (0 back, 1 forward): the jobs read ahead from, and how many hops beyond each is already read.</summary>
    private readonly Dictionary<string, int>[] _readAhead = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

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
        return _jobLinks[jobId] = OrderOfJob(links);
    }

    public async Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken)
    {
        if (_contentLinks.TryGetValue(sha256, out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var links = await db.ProvLinks.AsNoTracking().Where(l => l.Sha256 == sha256).ToListAsync(cancellationToken);
        return _contentLinks[sha256] = OrderOfContent(links);
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

    /// <summary>Reads what is not cached yet: one query per table and <see cref="ChunkSize"/> ids; what is absent is cached as absent.</summary>
    public async Task PreloadAsync(ProvenancePreload preload, CancellationToken cancellationToken)
    {
        var activities = preload.Activities.Where(id => !_activities.ContainsKey(id)).ToList();
        var jobLinks = preload.JobLinks.Where(id => !_jobLinks.ContainsKey(id)).ToList();
        var contentLinks = preload.ContentLinks.Where(sha => !_contentLinks.ContainsKey(sha)).ToList();
        var contents = preload.Contents.Where(sha => !_contents.ContainsKey(sha)).ToList();
        if (activities.Count + jobLinks.Count + contentLinks.Count + contents.Count == 0)
            return;

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var chunk in activities.Chunk(ChunkSize))
        {
            var rows = await db.ProvActivities.AsNoTracking().Where(a => chunk.Contains(a.JobId)).ToListAsync(cancellationToken);
            foreach (var id in chunk)
                _activities[id] = null;
            foreach (var row in rows)
                _activities[row.JobId] = row;
        }

        foreach (var chunk in jobLinks.Chunk(ChunkSize))
        {
            var rows = (await db.ProvLinks.AsNoTracking().Where(l => chunk.Contains(l.JobId)).ToListAsync(cancellationToken)).ToLookup(l => l.JobId, StringComparer.Ordinal);
            foreach (var id in chunk)
                _jobLinks[id] = OrderOfJob(rows[id]);
        }

        foreach (var chunk in contentLinks.Chunk(ChunkSize))
        {
            // Each digest's rows keep the order the database gave them, as when read one digest at a time.
            var rows = (await db.ProvLinks.AsNoTracking().Where(l => l.Sha256 != null && chunk.Contains(l.Sha256)).ToListAsync(cancellationToken))
                .ToLookup(l => l.Sha256!, StringComparer.Ordinal);
            foreach (var sha in chunk)
                _contentLinks[sha] = OrderOfContent(rows[sha]);
        }

        foreach (var chunk in contents.Chunk(ChunkSize))
        {
            var rows = await db.Entities.AsNoTracking().Where(e => chunk.Contains(e.Sha256)).ToListAsync(cancellationToken);
            foreach (var sha in chunk)
                _contents[sha] = null;
            foreach (var row in rows)
                _contents[row.Sha256] = row;
        }
    }

    /// <summary>
    /// One recursive query (per <see cref="ChunkSize"/> start jobs) finds the jobs the walk may reach;
    /// then their activities and links, the entities those name, and the jobs that generated (and,
    /// forward, used) them are read in batches. Jobs already read ahead far enough are skipped.
    /// </summary>
    public async Task ReadAheadAsync(IReadOnlyCollection<string> jobs, bool forward, int? hops, CancellationToken cancellationToken)
    {
        if (hops > CountedHops)
            hops = null;
        var budget = hops ?? int.MaxValue;
        var done = _readAhead[forward ? 1 : 0];
        var seeds = jobs.Where(id => !done.TryGetValue(id, out var known) || known < budget).Distinct(StringComparer.Ordinal).ToList();
        if (budget <= 0 || seeds.Count == 0)
            return;

        var reached = new ProvenancePreload();
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            foreach (var chunk in seeds.Chunk(ChunkSize))
            {
                var (sql, arguments) = ReachQuery(chunk, forward, hops);
                foreach (var row in await db.Database.SqlQueryRaw<ReachRow>(sql, arguments).ToListAsync(cancellationToken))
                {
                    var left = hops is null ? int.MaxValue : budget - row.Hops;
                    if (!done.TryGetValue(row.JobId, out var known) || known < left)
                        done[row.JobId] = left;
                    reached.Activities.Add(row.JobId);
                    reached.JobLinks.Add(row.JobId);
                }
            }
        }

        await PreloadAsync(reached, cancellationToken);
        var entities = new ProvenancePreload();
        foreach (var id in reached.JobLinks)
        {
            foreach (var link in _jobLinks[id])
            {
                if (link.Sha256 is { } sha)
                {
                    entities.ContentLinks.Add(sha);
                    entities.Contents.Add(sha);
                }
            }
        }

        await PreloadAsync(entities, cancellationToken);
        // Whose owner decides whether a walk enters them, and which gives a content its generation time.
        var owners = new ProvenancePreload();
        foreach (var sha in entities.ContentLinks)
        {
            foreach (var link in _contentLinks[sha])
            {
                if (link.EntityKind == ProvEntityKind.Content && (link.Kind == ProvLinkKind.Generated || forward))
                    owners.Activities.Add(link.JobId);
            }
        }

        await PreloadAsync(owners, cancellationToken);
    }

    /// <summary>
    /// The jobs reachable from <paramref name="seeds"/> (included) in one direction through jobs the
    /// reader may read, each with its fewest hops: BACK, a job's used content to the job that generated
    /// it first; FORWARD, a job's generated content (or re-generated result) to the jobs that used it.
    /// With a limit the rows carry their hop count (UNION keeps each job once per count, so it ends);
    /// without one plain reachability, which ends even on a cycle. Standard SQL (WITH RECURSIVE, one
    /// recursive reference) that SQLite and PostgreSQL both run, on the primary keys and the digest index.
    /// </summary>
    private (string Sql, object[] Arguments) ReachQuery(string[] seeds, bool forward, int? hops)
    {
        var arguments = new List<object>(seeds);
        var seedList = string.Join(", ", seeds.Select((_, i) => $"{{{i}}}"));
        var used = $"u.\"Kind\" = '{Used}' AND u.\"EntityKind\" = '{Content}'";
        var generated = $"g.\"Kind\" = '{Generated}' AND g.\"EntityKind\" " + (forward ? $"IN ('{Content}', '{Result}')" : $"= '{Content}'");
        // From the job expanded, through the links of its side, to the links of the next jobs by digest.
        // CROSS JOIN keeps this order in SQLite (its planner otherwise builds automatic indexes on Kind
        // at every recursive step: 0.6 s for a chain of 200 instead of 1 ms); PostgreSQL reorders it freely.
        var conditions = new List<string>
        {
            forward ? "g.\"JobId\" = r.\"JobId\"" : "u.\"JobId\" = r.\"JobId\"",
            used,
            generated,
            forward ? "u.\"Sha256\" = g.\"Sha256\"" : "g.\"Sha256\" = u.\"Sha256\"",
            forward ? "a.\"JobId\" = u.\"JobId\"" : "a.\"JobId\" = g.\"JobId\"",
        };
        var step = forward
            ? "CROSS JOIN prov_links AS g CROSS JOIN prov_links AS u CROSS JOIN prov_activities AS a"
            : "CROSS JOIN prov_links AS u CROSS JOIN prov_links AS g CROSS JOIN prov_activities AS a";
        if (hops is { } limit)
        {
            conditions.Add($"r.\"Hops\" < {{{arguments.Count}}}");
            arguments.Add(limit);
        }

        // Only jobs the reader may read (Caller.MayRead): the walk stops before any other.
        if (reader is { IsAdmin: false })
        {
            if (reader.Anonymous)
            {
                conditions.Add("a.\"Owner\" IS NULL");
            }
            else
            {
                conditions.Add($"a.\"Owner\" = {{{arguments.Count}}}");
                arguments.Add(reader.UserName);
            }
        }

        var where = "WHERE " + string.Join("\n    AND ", conditions);
        var sql = hops is null
            ? $"""
               WITH RECURSIVE reach("JobId") AS (
                   SELECT "JobId" FROM prov_activities WHERE "JobId" IN ({seedList})
                   UNION
                   SELECT a."JobId" FROM reach AS r
                   {step}
                   {where}
               )
               SELECT "JobId", 0 AS "Hops" FROM reach
               """
            : $"""
               WITH RECURSIVE reach("JobId", "Hops") AS (
                   SELECT "JobId", 0 FROM prov_activities WHERE "JobId" IN ({seedList})
                   UNION
                   SELECT a."JobId", r."Hops" + 1 FROM reach AS r
                   {step}
                   {where}
               )
               SELECT "JobId", MIN("Hops") AS "Hops" FROM reach GROUP BY "JobId"
               """;
        return (sql, arguments.ToArray());
    }

    private static List<ProvLinkRow> OrderOfJob(IEnumerable<ProvLinkRow> links) =>
        links.OrderBy(l => l.Kind).ThenBy(l => l.Role, StringComparer.Ordinal).ThenBy(l => l.Index).ToList();

    private static List<ProvLinkRow> OrderOfContent(IEnumerable<ProvLinkRow> links) =>
        links.OrderBy(l => l.Time).ThenBy(l => l.JobId, StringComparer.Ordinal).ToList();

    /// <summary>A row of the reach query.</summary>
    private sealed class ReachRow
    {
        public string JobId { get; init; } = "";

        public int Hops { get; init; }
    }
}
