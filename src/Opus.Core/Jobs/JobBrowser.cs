using Microsoft.EntityFrameworkCore;
using Opus.Core.Definitions;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Core.Jobs;

/// <summary>What a job list page asks for: definitions (empty = every one the caller may use), phases, a page, the order, more filters.</summary>
public sealed record JobPageQuery(
    IReadOnlyCollection<string> Definitions,
    IReadOnlyCollection<JobPhase> Phases,
    int Offset = 0,
    int Limit = 50,
    bool NewestFirst = true,
    JobFilter? Filter = null);

/// <summary>
/// The job list's filters besides definition and phase, combined with AND: the run ID (exactly, or
/// starting with <see cref="RunIdPrefix"/>), parameter values (name = value, each exactly), the owner
/// (admins: anyone's; others only their own), and the creation time (From inclusive, To exclusive).
/// Every one is answered from an index (see OpusDbContext).
/// </summary>
public sealed record JobFilter(
    string? RunId = null,
    string? RunIdPrefix = null,
    IReadOnlyList<KeyValuePair<string, string>>? Parameters = null,
    string? Owner = null,
    DateTime? CreatedFrom = null,
    DateTime? CreatedTo = null);

/// <summary>One row of a job list page.</summary>
public sealed record JobRow(
    string Id, string Definition, JobPhase Phase, string? RunId, string? Owner,
    DateTime CreationTime, DateTime? StartTime, DateTime? EndTime);

/// <summary>A page of jobs, the total matching the filter, and the caller's jobs counted per phase (same definitions, any phase).</summary>
public sealed record JobPage(int Total, IReadOnlyList<JobRow> Jobs, IReadOnlyDictionary<JobPhase, int> Counts);

/// <summary>
/// Paged, sorted job lists across definitions, with counts per phase: what a browser needs to show
/// a list of 10,000 jobs one page at a time. The same visibility as UWS: admins see every owner's
/// jobs, others their own (anonymous callers: jobs without owner), of definitions they may use.
/// </summary>
public sealed class JobBrowser(IDbContextFactory<OpusDbContext> contexts, DefinitionCatalog catalog)
{
    public const int MaxLimit = 1000;

    public async Task<JobPage> PageAsync(Caller caller, JobPageQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Offset < 0)
            throw new OpusValidationException($"offset: {query.Offset} must be 0 or more");
        if (query.Limit is < 1 or > MaxLimit)
            throw new OpusValidationException($"limit: {query.Limit} must be between 1 and {MaxLimit}");
        foreach (var name in query.Definitions)
        {
            if (!catalog.Exists(name))
                throw new OpusNotFoundException($"no job definition named '{name}'");
            if (!caller.MayUse(name))
                throw new OpusStateException($"you have no role for job definition '{name}'");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var visible = db.Jobs.AsNoTracking();
        if (query.Definitions.Count > 0)
        {
            var names = query.Definitions.Distinct().ToList();
            visible = names.Count == 1 ? visible.Where(j => j.Definition == names[0]) : visible.Where(j => names.Contains(j.Definition));
        }
        else if (!caller.MayUseEvery)
        {
            var allowed = caller.Roles.ToList();
            visible = visible.Where(j => allowed.Contains(j.Definition));
        }

        if (!caller.IsAdmin)
            visible = caller.Anonymous ? visible.Where(j => j.Owner == null) : visible.Where(j => j.Owner == caller.UserName);
        if (query.Filter is { } filter)
            visible = Filtered(db, visible, filter, caller);

        var counts = (await visible.GroupBy(j => j.Phase).Select(g => new { Phase = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
            .ToDictionary(c => c.Phase, c => c.Count);

        var filtered = visible;
        if (query.Phases.Count > 0)
        {
            var phases = query.Phases.Distinct().ToList();
            filtered = phases.Count == 1 ? filtered.Where(j => j.Phase == phases[0]) : filtered.Where(j => phases.Contains(j.Phase));
        }
        else
        {
            // As in UWS (2.2): archived jobs only when asked for.
            filtered = filtered.Where(j => j.Phase != JobPhase.ARCHIVED);
        }

        var total = query.Phases.Count > 0
            ? query.Phases.Distinct().Sum(p => counts.GetValueOrDefault(p))
            : counts.Where(c => c.Key != JobPhase.ARCHIVED).Sum(c => c.Value);
        var ordered = query.NewestFirst
            ? filtered.OrderByDescending(j => j.CreationTime).ThenByDescending(j => j.Id)
            : filtered.OrderBy(j => j.CreationTime).ThenBy(j => j.Id);
        var rows = await ordered.Skip(query.Offset).Take(query.Limit)
            .Select(j => new JobRow(j.Id, j.Definition, j.Phase, j.RunId, j.Owner, j.CreationTime, j.StartTime, j.EndTime))
            .ToListAsync(cancellationToken);
        return new JobPage(total, rows, counts);
    }

    private static IQueryable<Job> Filtered(OpusDbContext db, IQueryable<Job> jobs, JobFilter filter, Caller caller)
    {
        if (filter.Owner is { } owner)
        {
            // Another user's jobs are refused outright rather than answered as an empty list.
            if (!caller.IsAdmin && owner != caller.UserName)
                throw new OpusStateException("only admins may list other users' jobs");
            jobs = jobs.Where(j => j.Owner == owner);
        }

        if (filter.RunId is { } runId)
            jobs = jobs.Where(j => j.RunId == runId);
        if (filter.RunIdPrefix is { Length: > 0 } prefix)
        {
            // A range both databases answer from the RunId index (a LIKE is not, under SQLite's case rules or
            // PostgreSQL's collations); StartsWith then keeps exactly the run IDs that begin with the prefix.
            var end = prefix + char.ConvertFromUtf32(0x10FFFF);
            jobs = jobs.Where(j => j.RunId != null && string.Compare(j.RunId, prefix) >= 0 && string.Compare(j.RunId, end) < 0 && j.RunId.StartsWith(prefix));
        }

        foreach (var (name, value) in filter.Parameters ?? [])
        {
            var key = JobParameterKey.NameOf(name);
            var digest = JobParameterKey.DigestOf(value);
            var ids = db.JobParameterKeys.Where(k => k.Name == key && k.ValueSha256 == digest).Select(k => k.JobId);
            jobs = jobs.Where(j => ids.Contains(j.Id));
        }

        if (filter.CreatedFrom is { } from)
            jobs = jobs.Where(j => j.CreationTime >= from);
        if (filter.CreatedTo is { } to)
            jobs = jobs.Where(j => j.CreationTime < to);
        return jobs;
    }

    /// <summary>Every job counted per phase (server status).</summary>
    public async Task<Dictionary<JobPhase, int>> CountAllAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await db.Jobs.GroupBy(j => j.Phase).Select(g => new { Phase = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
            .ToDictionary(c => c.Phase, c => c.Count);
    }
}
