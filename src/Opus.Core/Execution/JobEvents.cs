using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Store;

namespace Opus.Core.Execution;

/// <summary>
/// The one ingestion routine: applies runner reports (from the callback endpoint, the events file
/// or a manager's own observation) as named transitions of <see cref="JobTransitions"/>. Applying a
/// report twice changes nothing the second time.
/// </summary>
/// <remarks>
/// A job ends in three steps: a finisher <em>claims</em> it (compare-and-set of <see cref="Job.Finishing"/>,
/// exactly one wins however many reports arrive at once), collects its results into the store, then writes
/// the final phase with the results and the provenance in one transaction (<see cref="EndAsync"/>, the one way
/// into a final phase). A claim whose write failed (a full disk, a crash) is taken up again by the sweep.
/// </remarks>
public sealed class JobEvents(
    JobRepository jobs, JobWorkspace workspace, DefinitionCatalog catalog, EntityStore store, TimeProvider time, ILogger<JobEvents> logger,
    IEnumerable<IRunnerReportFilter> filters, ProvenanceRecorder provenance, JobFinishQueue finishQueue, JobLimits limits, HttpStaging staging)
{
    /// <summary>A claim another live process holds is left to it this long before the sweep takes it over.</summary>
    public static readonly TimeSpan ClaimTakeOver = TimeSpan.FromMinutes(2);

    /// <summary>A younger claim is at work (or waits for its job's processes to be gone): the sweep leaves it.</summary>
    public static readonly TimeSpan FreshClaim = TimeSpan.FromSeconds(30);

    private readonly IRunnerReportFilter[] _filters = filters.ToArray();

    // Claims this process is working on: the sweep leaves them alone.
    private readonly ConcurrentDictionary<string, byte> _finishing = new(StringComparer.Ordinal);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Applies one runner report. With <paramref name="collectInBackground"/> (the callback endpoint) a final
    /// report returns once the job is claimed; its results are collected by <see cref="JobFinishQueue"/>'s worker.
    /// </summary>
    public Task ApplyAsync(string jobId, RunnerEvent report, bool collectInBackground = false, CancellationToken cancellationToken = default) =>
        ApplyReportAsync(jobId, null, report, collectInBackground, cancellationToken);

    /// <summary>
    /// As above, by a manager that read the job when it started it (<paramref name="started"/>): its EXECUTING is
    /// written without reading the job again; a final report still reads it (it may have ended meanwhile).
    /// </summary>
    public Task ApplyAsync(Job started, RunnerEvent report, CancellationToken cancellationToken = default) =>
        ApplyReportAsync(started.Id, started, report, collectInBackground: false, cancellationToken);

    private async Task ApplyReportAsync(string jobId, Job? started, RunnerEvent report, bool collectInBackground, CancellationToken cancellationToken)
    {
        if (report.Phase == JobPhase.EXECUTING)
        {
            void SetStart(UpdateSettersBuilder<Job> set) => set.SetProperty(j => j.StartTime, report.Time);
            await (started is null
                ? jobs.TryTransitionAsync(jobId, JobTransitions.Start, SetStart, cancellationToken)
                : jobs.TryTransitionAsync(jobId, JobTransitions.Start, SetStart, new ChangedJob(started.Definition, started.Owner, report.Time, null), cancellationToken));
            return;
        }

        if (report.Phase is not (JobPhase.COMPLETED or JobPhase.ERROR))
            return;
        // One read for the limits, the managers' filters and the claim.
        if (await jobs.FindAsync(jobId, cancellationToken) is not { } job)
            return;

        // A local job over one of its limits is an error naming it, however its script ended.
        if (await limits.ExceededAsync(job, report.ExitCode, cancellationToken) is { } exceeded)
            await FinishJobAsync(job, JobPhase.ERROR, exceeded, report.Time, collectInBackground, cancellationToken);
        else if (report.Phase == JobPhase.COMPLETED)
            await FinishJobAsync(job, JobPhase.COMPLETED, null, report.Time, collectInBackground, cancellationToken);
        // A manager may know better why the runner was signalled (SLURM: cancelled or out of time).
        else if (!_filters.Any(f => f.TakesOver(job, report)))
            await FinishJobAsync(job, JobPhase.ERROR, DescribeFailure(jobId, report.ExitCode), report.Time, collectInBackground, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="token"/> is the job's callback token, written into its directory when it was
    /// queued: the one credential a runner reporting over HTTP has (compared in constant time).
    /// </summary>
    public async Task<bool> IsCallbackTokenAsync(string jobId, string token, CancellationToken cancellationToken = default) =>
        await jobs.FindAsync(jobId, cancellationToken) is { CallbackTokenHash: { } expected }
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(JobWorkspace.HashToken(token)), Encoding.ASCII.GetBytes(expected));

    /// <summary>Applies every report of the job's events file, in order; true when the job is final afterwards.</summary>
    public async Task<bool> ApplyEventsFileAsync(string jobId, CancellationToken cancellationToken = default)
    {
        foreach (var report in RunnerEvent.ReadFile(workspace.EventsPath(jobId)))
            await ApplyAsync(jobId, report, cancellationToken: cancellationToken);
        var job = await jobs.FindAsync(jobId, cancellationToken);
        return job is null || job.Phase.IsFinal();
    }

    /// <summary>
    /// What a scheduler observed (SLURM: held, released, running, suspended): applied as the named transition.
    /// Ends go through <see cref="FinishAsync"/>, never through here.
    /// </summary>
    public Task<bool> ObserveAsync(string jobId, JobTransition transition, CancellationToken cancellationToken = default)
    {
        if (transition.To.IsFinal())
            throw new ArgumentException($"{transition} ends a job: use FinishAsync", nameof(transition));
        return transition == JobTransitions.Start
            ? jobs.TryTransitionAsync(jobId, transition, set => set.SetProperty(j => j.StartTime, j => j.StartTime ?? Now), cancellationToken)
            : jobs.TryTransitionAsync(jobId, transition, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Ends an active job in a final phase with its results. If the job already ended (an abort or a time limit
    /// won the race) without results, the results its runner left are added. Nothing happens when another
    /// finisher holds the job: one claim, one collection.
    /// </summary>
    public async Task FinishAsync(
        string jobId, JobPhase phase, string? errorMessage, DateTime? endTime = null, bool collectInBackground = false, CancellationToken cancellationToken = default)
    {
        if (await jobs.FindAsync(jobId, cancellationToken) is { } job)
            await FinishJobAsync(job, phase, errorMessage, endTime, collectInBackground, cancellationToken);
    }

    private async Task FinishJobAsync(Job job, JobPhase phase, string? errorMessage, DateTime? endTime, bool collectInBackground, CancellationToken cancellationToken)
    {
        // Held already: by another finisher, or by a time limit's claim that is carried out once the job's processes are gone.
        if (job.Finishing is not null || Claimable(job) is not { } claimable)
            return;
        var claim = NewClaim(phase, errorMessage, endTime);
        if (collectInBackground)
        {
            if (await jobs.TryClaimFinishAsync(job.Id, claimable, claim, cancellationToken))
                finishQueue.Enqueue(job.Id);
            return;
        }

        if (!_finishing.TryAdd(job.Id, 0))
            return;
        try
        {
            // Hashed before the claim, so that the claim records them with it (one write, not two), still before any file moves.
            // Should hashing fail, the claim is made without them and the collection after it fails as it did before: logged, left for the sweep.
            try
            {
                claim = claim with { Results = await HashResultsAsync(job, cancellationToken) };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Job {JobId}: its results could not be hashed before the claim: {Reason}", job.Id, e.Message);
            }

            if (await jobs.TryClaimFinishAsync(job.Id, claimable, claim, cancellationToken))
                await CarryOutAsync(job, claim, cancellationToken);
        }
        finally
        {
            _finishing.TryRemove(job.Id, out _);
        }
    }

    /// <summary>The phases a finisher may claim the job in; null when there is nothing to claim.</summary>
    private IReadOnlyList<JobPhase>? Claimable(Job job)
    {
        if (job.Phase.IsActive())
            return JobPhases.Active;
        if (job.Phase is JobPhase.COMPLETED or JobPhase.ERROR or JobPhase.ABORTED && job.Results.Count == 0 && Directory.Exists(workspace.WorkPath(job.Id)))
            return [job.Phase];
        return null;
    }

    private JobFinish NewClaim(JobPhase phase, string? errorMessage, DateTime? endTime) =>
        new(phase, phase == JobPhase.ERROR ? errorMessage ?? "the job failed" : null, endTime ?? Now, Now, ProcessIdentity.Current);

    /// <summary>
    /// Claims the job's end without collecting yet (a job stopped at its time limit: its results are collected
    /// once its processes are gone, by <see cref="CompleteAsync"/>); false when there is nothing to claim.
    /// </summary>
    public async Task<bool> ClaimFinishAsync(string jobId, JobPhase phase, string? errorMessage, DateTime? endTime = null, CancellationToken cancellationToken = default)
    {
        if (await jobs.FindAsync(jobId, cancellationToken) is not { } job || Claimable(job) is not { } claimable)
            return false;
        return await jobs.TryClaimFinishAsync(jobId, claimable, NewClaim(phase, errorMessage, endTime), cancellationToken);
    }

    /// <summary>
    /// Carries out a claimed finish: results hashed where they are and recorded in the claim, moved into the
    /// store, then the final phase written. A failure leaves the claim for the sweep (<see cref="RetryClaimsAsync"/>).
    /// </summary>
    public async Task CompleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!_finishing.TryAdd(jobId, 0))
            return;
        try
        {
            if (await jobs.FindAsync(jobId, cancellationToken) is { Finishing: { } claim } job)
                await CarryOutAsync(job, claim, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: its end could not be written; the sweep tries again", jobId);
        }
        finally
        {
            staging.ForgetReceived(jobId);
            _finishing.TryRemove(jobId, out _);
        }
    }

    /// <summary>
    /// The claim <paramref name="claim"/> of <paramref name="job"/> (as read before or after it was made) carried out; a failure
    /// is logged and leaves the claim for the sweep.
    /// </summary>
    private async Task CarryOutAsync(Job job, JobFinish claim, CancellationToken cancellationToken)
    {
        var jobId = job.Id;
        try
        {
            var results = claim.Results;
            if (results is null)
            {
                results = await HashResultsAsync(job, cancellationToken);
                // Recorded before any file moves: a retry after a crash finds them in the store by their digest.
                await jobs.TryUpdateClaimAsync(jobId, claim with { Results = results }, cancellationToken);
            }

            var (stored, entities) = await StoreResultsAsync(job, results, cancellationToken);
            if (job.Phase.IsActive()
                && await EndAsync(job, JobTransitions.Ending(claim.Phase), claim.EndTime, stored, claim.ErrorMessage, j => j.Finishing != null, entities, cancellationToken))
                return;

            // Ended meanwhile (aborted, out of time): the results are added to what it ended as.
            var now = await jobs.FindAsync(jobId, cancellationToken);
            if (now is null || !now.Phase.IsFinal())
                return;
            var added = now.Results.Count == 0 && stored.Count > 0;
            if (await jobs.TryUpdateAsync(jobId, [now.Phase], set =>
                {
                    set.SetProperty(j => j.Finishing, (JobFinish?)null);
                    if (added)
                        set.SetProperty(j => j.Results, stored);
                }, cancellationToken) && added)
                await provenance.TryRecordAsync(jobId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: its end could not be written; the sweep tries again", jobId);
        }
    }

    /// <summary>
    /// The one way into a final phase: phase, end time, results and error written with the job's provenance
    /// in one transaction (recorded after, by the repair pass, should preparing it fail). Clears any claim.
    /// </summary>
    /// <param name="stored">The store's rows of the results, where the caller has them (no read each).</param>
    public async Task<bool> EndAsync(
        Job job, JobTransition transition, DateTime end, List<JobResult> results, string? errorMessage,
        Expression<Func<Job, bool>>? onlyIf = null, IReadOnlyDictionary<string, StoredEntity>? stored = null, CancellationToken cancellationToken = default)
    {
        if (!transition.To.IsFinal())
            throw new ArgumentException($"{transition} does not end a job", nameof(transition));
        var rows = await provenance.PrepareAsync(job, transition.To, end, results, stored, cancellationToken);
        var ended = await jobs.TryTransitionAsync(job.Id, transition, set =>
        {
            set.SetProperty(j => j.EndTime, end);
            set.SetProperty(j => j.Results, results);
            set.SetProperty(j => j.Finishing, (JobFinish?)null);
            if (transition.To == JobPhase.ERROR)
            {
                set.SetProperty(j => j.ErrorMessage, errorMessage ?? "the job failed");
                set.SetProperty(j => j.ErrorType, "fatal");
            }
        }, rows is null ? null : provenance.InTransition(rows), onlyIf, cancellationToken, new ChangedJob(job.Definition, job.Owner, job.StartTime, end));
        if (ended)
        {
            logger.LogInformation("Job {JobId} {Phase}", job.Id, transition.To);
            if (rows is null)
                await provenance.TryRecordAsync(job.Id, cancellationToken);
        }

        return ended;
    }

    /// <summary>
    /// At every sweep: finishes whose write failed (this process's, or a dead or silent process's) are carried
    /// out again, until the final phase lands. Returns how many were retried.
    /// </summary>
    public async Task<int> RetryClaimsAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var job in await jobs.ClaimedAsync(cancellationToken))
        {
            var claim = job.Finishing!;
            if (_finishing.ContainsKey(job.Id))
                continue;
            var age = Now - claim.ClaimedAt;
            if (age < FreshClaim
                || (claim.ClaimedBy != ProcessIdentity.Current && age < ClaimTakeOver && ProcessIdentity.Check(claim.ClaimedBy) == ProcessIdentity.Liveness.Alive))
                continue;
            logger.LogInformation("Job {JobId}: finishing it again ({Phase} claimed at {ClaimedAt:O})", job.Id, claim.Phase, claim.ClaimedAt);
            await CompleteAsync(job.Id, cancellationToken);
            count++;
        }

        return count;
    }

    /// <summary>The error summary of a runner's report: how the script ended and the last lines of its stderr.</summary>
    public string DescribeFailure(string jobId, int? exitCode)
    {
        var tail = workspace.FailureDetail(jobId);
        var what = exitCode switch
        {
            null => "the job failed",
            > 128 and < 160 => $"the job was stopped by signal {exitCode - 128}",
            _ => $"the script exited with status {exitCode}",
        };
        return tail is null ? what : $"{what}: {tail}";
    }

    /// <summary>The generated files of the job's working directory, hashed where they are (nothing moves yet).</summary>
    private async Task<List<JobResult>> HashResultsAsync(Job job, CancellationToken cancellationToken)
    {
        var results = new List<JobResult>();
        var work = workspace.WorkPath(job.Id);
        if (!Directory.Exists(work))
            return results;
        var definition = await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken);
        var root = Path.GetFullPath(work) + Path.DirectorySeparatorChar;
        foreach (var generated in definition.Generated)
        {
            var files = ResultFiles.Match(work, generated.File);
            var index = 0;
            foreach (var path in files)
            {
                var full = Path.GetFullPath(path);
                var info = new FileInfo(full);
                // A link could point anywhere on the server (the job's sandbox hides what the server sees):
                // only plain files inside work/, reached through no linked folder, are results.
                if (!full.StartsWith(root, StringComparison.Ordinal) || info.LinkTarget is not null || !info.Exists || ThroughLink(info.Directory, root))
                    continue;
                index++;
                var relative = full[root.Length..];
                try
                {
                    // A file a node sent was hashed as it arrived: not read again.
                    var (sha, size) = staging.ReceivedSha256(job, full) ?? await EntityStore.HashFileAsync(full, cancellationToken);
                    var id = files.Count == 1 ? generated.Name : $"{generated.Name}_{index}";
                    results.Add(new JobResult(id, relative, sha, size, generated.ContentType ?? MediaTypes.Guess(relative)));
                }
                catch (IOException e)
                {
                    logger.LogWarning("Job {JobId}: result {File} could not be read: {Reason}", job.Id, relative, e.Message);
                }
            }
        }

        return results;
    }

    /// <summary>True when a folder between work/ and the file is a symbolic link.</summary>
    private static bool ThroughLink(DirectoryInfo? folder, string root)
    {
        for (; folder is not null && (folder.FullName + Path.DirectorySeparatorChar).Length > root.Length; folder = folder.Parent)
        {
            if (folder.LinkTarget is not null)
                return true;
        }

        return false;
    }

    /// <summary>
    /// Moves each result into the store and registers it; a result neither in work/ nor in the store is dropped.
    /// Returns the results kept and the store's row of each (by digest).
    /// </summary>
    private async Task<(List<JobResult> Results, Dictionary<string, StoredEntity> Entities)> StoreResultsAsync(
        Job job, List<JobResult> results, CancellationToken cancellationToken)
    {
        var stored = new List<JobResult>(results.Count);
        var entities = new Dictionary<string, StoredEntity>(StringComparer.Ordinal);
        var work = workspace.WorkPath(job.Id);
        foreach (var result in results)
        {
            var path = Path.Combine(work, result.FileName);
            if (File.Exists(path))
                store.MoveIn(path, result.Sha256);
            else if (!store.Contains(result.Sha256))
            {
                logger.LogWarning("Job {JobId}: result {File} vanished before it was stored", job.Id, result.FileName);
                continue;
            }

            // The first job to produce this content is its generator; a later identical result is a re-generation.
            entities[result.Sha256] = await store.RegisterAsync(
                result.Sha256, result.Size, Path.GetFileName(result.FileName), result.MimeType, job.Owner, (job.Id, job.Definition, result.Id), cancellationToken);
            stored.Add(result);
        }

        return (stored, entities);
    }
}
