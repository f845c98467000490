using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Opus.Core.Operations;
using Opus.Core.Storage;

namespace Opus.Core.Jobs;

/// <summary>
/// Reads jobs and applies every phase change as one compare-and-set UPDATE
/// (WHERE id = @id AND phase IN @expected); a change that loses the race changes nothing.
/// </summary>
public sealed class JobRepository(IDbContextFactory<OpusDbContext> contexts, JobSignals signals, JobFeed feed, OpusAudit audit, OpusMetrics metrics,
    Notifications.MailNotifications mail) : IDisposable
{
    private GroupCommit<Job>? _inserts;
    private RowInserter? _jobRows;
    private RowInserter? _keyRows;

    private GroupCommit<Job> Inserts => LazyInitializer.EnsureInitialized(ref _inserts, () => new GroupCommit<Job>(InsertAsync));

    private async Task InsertAsync(IReadOnlyList<Job> batch)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        _jobRows ??= new RowInserter(db, typeof(Job));
        _keyRows ??= new RowInserter(db, typeof(JobParameterKey));
        await _jobRows.InsertAsync(db, batch);
        await _keyRows.InsertAsync(db, batch.SelectMany(job => JobParameterKey.For(job.Id, job.Parameters)));
        await transaction.CommitAsync();
    }

    private RowReader<Job>? _jobReader;

    public void Dispose() => _jobReader?.Dispose();

    /// <summary>The job, untracked; read without EF's query pipeline (it was most of a GET's cost).</summary>
    public async Task<Job?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_jobReader is null)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            Interlocked.CompareExchange(ref _jobReader, new RowReader<Job>(db), null);
        }

        return await _jobReader.FindAsync(id, cancellationToken);
    }

    /// <summary>
    /// Stores a new job with its parameter keys; done when they are committed. Creations made at the same time are
    /// committed together (a group commit): one writer and one transaction for all that are waiting, instead of one
    /// each, which on SQLite queued every creation behind the write lock (its busy wait sleeps milliseconds).
    /// </summary>
    public async Task AddAsync(Job job, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Inserts.AddAsync(job);
        audit.JobCreated(job.Id, job.Definition, job.Owner, job.Phase);
        metrics.JobCreated(job.Definition);
        feed.Publish(new JobChange(job.Id, job.Definition, job.Owner, job.Phase, job.CreationTime));
    }

    /// <summary>Applies <paramref name="transition"/> to the job; false when its phase was not one the transition starts from.</summary>
    public Task<bool> TryTransitionAsync(
        string id, JobTransition transition, Action<UpdateSettersBuilder<Job>>? alsoSet = null, CancellationToken cancellationToken = default) =>
        TryTransitionAsync(id, transition, alsoSet, inSameTransaction: null, onlyIf: null, cancellationToken);

    /// <summary>
    /// As above, for a caller that knows what the audit trail and the metrics need of the job after the change
    /// (<paramref name="known"/>): the job is not read again.
    /// </summary>
    public Task<bool> TryTransitionAsync(
        string id, JobTransition transition, Action<UpdateSettersBuilder<Job>>? alsoSet, ChangedJob known, CancellationToken cancellationToken = default) =>
        TryTransitionAsync(id, transition, alsoSet, inSameTransaction: null, onlyIf: null, cancellationToken, known);

    /// <summary>
    /// As above; when the change is made, <paramref name="inSameTransaction"/> writes more rows (a finished
    /// job's provenance) in the same database transaction, so no one ever sees the phase without them.
    /// <paramref name="onlyIf"/> narrows the compare-and-set further (a finisher's own claim).
    /// </summary>
    public async Task<bool> TryTransitionAsync(
        string id, JobTransition transition, Action<UpdateSettersBuilder<Job>>? alsoSet,
        Func<OpusDbContext, CancellationToken, Task>? inSameTransaction, System.Linq.Expressions.Expression<Func<Job, bool>>? onlyIf,
        CancellationToken cancellationToken, ChangedJob? known = null)
    {
        var from = transition.From;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = inSameTransaction is null ? null : await db.Database.BeginTransactionAsync(cancellationToken);
        var matching = db.Jobs.Where(j => j.Id == id && from.Contains(j.Phase));
        if (onlyIf is not null)
            matching = matching.Where(onlyIf);
        var changed = await matching.ExecuteUpdateAsync(set =>
            {
                set.SetProperty(j => j.Phase, transition.To);
                alsoSet?.Invoke(set);
            }, cancellationToken);
        if (transaction is not null)
        {
            if (changed > 0)
                await inSameTransaction!(db, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (changed > 0)
        {
            // The job after the change, read unless the caller knows it: the audit trail, the metrics and the feed name
            // the definition and owner. Published before the waiters wake: a woken client may delete the job at once,
            // and the change must still reach the live views (of other processes too), before its deletion.
            var job = known ?? await ChangedAsync(db, id, cancellationToken);
            if (job is not null && feed.HasSubscribers)
                feed.Publish(new JobChange(id, job.Definition, job.Owner, transition.To, DateTime.UtcNow));
            signals.Notify(id);
            if (job is not null)
            {
                audit.PhaseChanged(id, job.Definition, job.Owner, transition.To);
                metrics.PhaseChanged(id, job.Definition, transition.To, job.StartTime, job.EndTime);
                mail.JobEnd(id, job.Definition, job.Owner, transition.To);
            }
        }

        return changed > 0;
    }

    /// <summary>
    /// Claims the job for its finisher: sets <see cref="Job.Finishing"/> only while nobody holds it and the job is
    /// in one of <paramref name="phases"/>. Exactly one claim succeeds, whatever number of reports arrive at once.
    /// </summary>
    public async Task<bool> TryClaimFinishAsync(string id, IReadOnlyCollection<JobPhase> phases, JobFinish claim, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.Where(j => j.Id == id && phases.Contains(j.Phase) && j.Finishing == null)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Finishing, claim), cancellationToken) > 0;
    }

    /// <summary>
    /// Records the results in a held claim before their files move, so that a retry finds them. A finisher that
    /// retries a claim it thinks stale writes the same list: collecting is idempotent until files move.
    /// </summary>
    public async Task<bool> TryUpdateClaimAsync(string id, JobFinish updated, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.Where(j => j.Id == id && j.Finishing != null)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Finishing, updated), cancellationToken) > 0;
    }

    /// <summary>Jobs whose finish was claimed and not written (the sweep retries them).</summary>
    public async Task<List<Job>> ClaimedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => j.Finishing != null).OrderBy(j => j.Id).Take(1000).ToListAsync(cancellationToken);
    }

    /// <summary>EXECUTING jobs that started before <paramref name="startedBefore"/> (the time-limit sweep looks at each).</summary>
    public async Task<List<Job>> LongRunningAsync(DateTime startedBefore, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.Phase == JobPhase.EXECUTING && j.ExecutionDuration > 0 && j.StartTime != null && j.StartTime < startedBefore && j.Finishing == null)
            .OrderBy(j => j.StartTime).Take(1000).ToListAsync(cancellationToken);
    }

    /// <summary>Updates fields of a job that is in one of <paramref name="phases"/>; false when it was not.</summary>
    public async Task<bool> TryUpdateAsync(
        string id, IReadOnlyCollection<JobPhase> phases, Action<UpdateSettersBuilder<Job>> set,
        CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Jobs.Where(j => j.Id == id && phases.Contains(j.Phase)).ExecuteUpdateAsync(set, cancellationToken);
        if (changed > 0)
            signals.Notify(id);
        return changed > 0;
    }

    // A late report (the last one, coalesced, may land just after the end) still counts; a job not yet run takes none.
    private static readonly JobPhase[] ProgressPhases =
        [JobPhase.QUEUED, JobPhase.EXECUTING, JobPhase.SUSPENDED, JobPhase.COMPLETED, JobPhase.ERROR, JobPhase.ABORTED];

    /// <summary>
    /// Records the job's last progress report and tells the live views; false when the job is gone or was never run.
    /// Not a change WAIT wakes for: the phase stays as it was.
    /// </summary>
    public async Task<bool> TrySetProgressAsync(string id, JobProgress progress, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Jobs.Where(j => j.Id == id && ProgressPhases.Contains(j.Phase)).ExecuteUpdateAsync(set => set
            .SetProperty(j => j.ProgressPercent, progress.Percent)
            .SetProperty(j => j.ProgressMessage, progress.Message), cancellationToken);
        if (changed > 0 && feed.HasSubscribers
            && await db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => new { j.Definition, j.Owner, j.Phase }).FirstOrDefaultAsync(cancellationToken) is { } job)
            feed.Publish(new JobChange(id, job.Definition, job.Owner, job.Phase, DateTime.UtcNow, progress));
        return changed > 0;
    }

    /// <summary>Replaces a PENDING job's parameters and their filter keys in one transaction; false when it was not PENDING.</summary>
    public async Task<bool> TrySetParametersAsync(string id, List<JobParameter> parameters, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = await db.Jobs.Where(j => j.Id == id && j.Phase == JobPhase.PENDING)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Parameters, parameters), cancellationToken);
        if (changed == 0)
            return false;
        await db.JobParameterKeys.Where(p => p.JobId == id).ExecuteDeleteAsync(cancellationToken);
        db.JobParameterKeys.AddRange(JobParameterKey.For(id, parameters));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signals.Notify(id);
        return true;
    }

    /// <summary>
    /// Compare-and-set of the manager's handle: sets <paramref name="value"/> only while the handle is still
    /// <paramref name="expected"/> and the job is in one of <paramref name="phases"/>. This is how one process
    /// claims a job to start it, so that no job starts twice when several processes share the database.
    /// </summary>
    public async Task<bool> TrySetManagerJobIdAsync(
        string id, string? expected, string? value, IReadOnlyCollection<JobPhase> phases, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var matching = db.Jobs.Where(j => j.Id == id && phases.Contains(j.Phase));
        matching = expected is null ? matching.Where(j => j.ManagerJobId == null) : matching.Where(j => j.ManagerJobId == expected);
        return await matching.ExecuteUpdateAsync(set => set.SetProperty(j => j.ManagerJobId, value), cancellationToken) > 0;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var gone = await OwnershipAsync(db, id, cancellationToken);
        var deleted = await db.Jobs.Where(j => j.Id == id).ExecuteDeleteAsync(cancellationToken);
        await db.JobParameterKeys.Where(p => p.JobId == id).ExecuteDeleteAsync(cancellationToken);
        signals.Notify(id);
        if (deleted > 0 && gone is not null)
        {
            audit.JobDeleted(id, gone.Definition, gone.Owner);
            if (feed.HasSubscribers)
                feed.Publish(new JobChange(id, gone.Definition, gone.Owner, null, DateTime.UtcNow));
        }
        return deleted > 0;
    }

    private sealed record Ownership(string Definition, string? Owner);

    private static Task<ChangedJob?> ChangedAsync(OpusDbContext db, string id, CancellationToken cancellationToken) =>
        db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => new ChangedJob(j.Definition, j.Owner, j.StartTime, j.EndTime)).FirstOrDefaultAsync(cancellationToken);

    // What the feed and the audit trail need to tell whose job changed: one primary-key read per change.
    private static Task<Ownership?> OwnershipAsync(OpusDbContext db, string id, CancellationToken cancellationToken) =>
        db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => new Ownership(j.Definition, j.Owner)).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Streams a job list, newest first, reading only the columns a jobref needs.</summary>
    public async IAsyncEnumerable<JobSummary> ListAsync(
        JobQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var jobs = db.Jobs.AsNoTracking().Where(j => j.Definition == query.Definition);
        if (query.Phases is { Count: > 0 } phases)
        {
            var list = phases.Distinct().ToList();
            jobs = list.Count == 1 ? jobs.Where(j => j.Phase == list[0]) : jobs.Where(j => list.Contains(j.Phase));
        }
        else
        {
            jobs = jobs.Where(j => j.Phase != JobPhase.ARCHIVED);
        }

        if (query.After is { } after)
            jobs = jobs.Where(j => j.CreationTime > after);
        if (query.Owner is not null)
            jobs = jobs.Where(j => j.Owner == query.Owner);
        else if (query.OnlyUnowned)
            jobs = jobs.Where(j => j.Owner == null);
        jobs = jobs.OrderByDescending(j => j.CreationTime).ThenByDescending(j => j.Id);
        if (query.Last is { } last)
            jobs = jobs.Take(last);
        await foreach (var job in jobs.Select(j => new JobSummary(j.Id, j.Phase, j.RunId, j.Owner, j.CreationTime)).AsAsyncEnumerable().WithCancellation(cancellationToken))
            yield return job;
    }

    /// <summary>How many jobs of an owner (null: anonymous jobs) are committed to run and not finished (the quota).</summary>
    public async Task<int> CountActiveAsync(string? owner, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Spelled out for null, so the SQL is "Owner IS NULL" rather than a null-compensating OR.
        var owned = owner is null ? db.Jobs.Where(j => j.Owner == null) : db.Jobs.Where(j => j.Owner == owner);
        var active = JobPhases.Active;
        return await owned.CountAsync(j => active.Contains(j.Phase), cancellationToken);
    }

    /// <summary>Jobs in any of the phases (reconcile on start-up).</summary>
    public async Task<List<Job>> InPhasesAsync(IReadOnlyCollection<JobPhase> phases, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().Where(j => phases.Contains(j.Phase)).ToListAsync(cancellationToken);
    }

    /// <summary>Ids of jobs whose destruction time has passed.</summary>
    public async Task<List<string>> ExpiredAsync(DateTime now, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // An archived job keeps its destruction time: it was destroyed then, and is not again.
        return await db.Jobs.Where(j => j.Destruction != null && j.Destruction <= now && j.Phase != JobPhase.ARCHIVED).OrderBy(j => j.Destruction).Select(j => j.Id).Take(limit).ToListAsync(cancellationToken);
    }
}

/// <summary>What the audit trail, the metrics and the feed need of a job after a phase change.</summary>
public sealed record ChangedJob(string Definition, string? Owner, DateTime? StartTime, DateTime? EndTime);
