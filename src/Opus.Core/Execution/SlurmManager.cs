using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Runs jobs on a SLURM cluster: the same runner.sh as the local manager, submitted with sbatch as the
/// batch script (the job directory is on a filesystem the nodes share). Phases come from the runner's
/// reports; scontrol is asked only to settle jobs whose reports stopped (cancelled while pending, node
/// failure, a server down meanwhile), at start-up and every <see cref="SlurmOptions.ReconcileInterval"/>,
/// and to tell an abort from a time limit when the runner was signalled.
/// </summary>
/// <remarks>
/// <see cref="Job.ManagerJobId"/> holds the SLURM job id once sbatch answered, or "sbatch@&lt;unix ms&gt;"
/// while one process submits (the claim that keeps two processes from submitting the same job). SLURM
/// ids restart at 1 when a cluster is rebuilt, so every lookup also checks the job name opus-&lt;id&gt;.
/// </remarks>
public sealed class SlurmManager : BackgroundService, IJobManager
{
    public const string ManagerName = "slurm";

    private const string ClaimPrefix = "sbatch@";

    private readonly CancellationTokenSource _stopping = new();

    // QUEUED jobs without a SLURM id, and when this process first saw them so.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _abandoned = new(StringComparer.Ordinal);
    private readonly OpusOptions _options;
    private readonly ISlurmTransport _slurm;

    // QUEUED jobs whose submission found the cluster out of reach: submitted as soon as it answers again.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _waiting = new(StringComparer.Ordinal);

    // Aborted jobs whose scancel found the cluster out of reach (job id to SLURM id): cancelled when it answers again.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _cancels = new(StringComparer.Ordinal);
    private readonly SlurmSettleQueue _settle;
    private readonly JobWorkspace _workspace;
    private readonly HttpStaging _staging;
    private readonly JobEvents _events;
    private readonly JobRepository _jobs;
    private readonly DefinitionCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly ILogger<SlurmManager> _logger;
    private readonly Operations.OpusMetrics _metrics;
    private readonly Users.UserDirectory _users;

    public SlurmManager(
        OpusOptions options, ISlurmTransport slurm, SlurmSettleQueue settle, JobWorkspace workspace, JobEvents events, JobRepository jobs,
        DefinitionCatalog catalog, TimeProvider time, ILogger<SlurmManager> logger, HttpStaging staging, Operations.OpusMetrics metrics,
        Users.UserDirectory users)
    {
        _metrics = metrics;
        _users = users;
        _options = options;
        _slurm = slurm;
        _settle = settle;
        _workspace = workspace;
        _staging = staging;
        _events = events;
        _jobs = jobs;
        _catalog = catalog;
        _time = time;
        _logger = logger;
    }

    public string Name => ManagerName;

    /// <summary>Why the cluster could not be asked the last time (login node, slurmrestd or slurmctld down); null while it answers.</summary>
    public string? Unreachable { get; private set; }

    /// <summary>Since when <see cref="Unreachable"/> holds.</summary>
    public DateTimeOffset? UnreachableSince { get; private set; }

    private void Reached()
    {
        if (Unreachable is null)
            return;
        _logger.LogInformation("The SLURM cluster answers again");
        Unreachable = null;
        UnreachableSince = null;
    }

    private void Lost(SlurmUnreachableException e)
    {
        if (Unreachable is null)
            _logger.LogWarning("The SLURM cluster cannot be reached: {Reason}", e.Message);
        UnreachableSince ??= _time.GetUtcNow();
        Unreachable = e.Message;
    }

    /// <summary>SLURM limits are whole minutes, enforced every 30 s, then KillWait: the sweep waits that out.</summary>
    public TimeSpan TimeLimitGrace => TimeSpan.FromMinutes(5);

    /// <summary>The reconcile and settle loops run while the host runs, and only where SLURM is configured.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var registration = stoppingToken.Register(() => _stopping.Cancel());
        var submitters = Enumerable.Range(0, Math.Max(1, _options.Slurm.SubmitConcurrency)).Select(_ => Task.Run(SubmitLoopAsync, CancellationToken.None));
        await Task.WhenAll([Task.Run(ReconcileLoopAsync, CancellationToken.None), Task.Run(SettleLoopAsync, CancellationToken.None), .. submitters]);
    }

    // Jobs handed over by RUN, waiting for a submitter; the set keeps a job from being queued twice.
    private readonly System.Threading.Channels.Channel<string> _submissions = System.Threading.Channels.Channel.CreateUnbounded<string>();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);

    /// <summary>
    /// PHASE=RUN hands the job over and answers at once; <see cref="SlurmOptions.SubmitConcurrency"/> submitters run
    /// sbatch (or slurmrestd's submit) side by side, so a burst is submitted as fast as the cluster takes it, not one
    /// request's round trip at a time. A job still waiting here when the server stops is QUEUED without a SLURM id,
    /// which the reconcile submits after a restart, as for any submission cut short.
    /// </summary>
    public Task SubmitAsync(Job job, CancellationToken cancellationToken = default)
    {
        if (_queued.TryAdd(job.Id, 0))
            _submissions.Writer.TryWrite(job.Id);
        return Task.CompletedTask;
    }

    private async Task SubmitLoopAsync()
    {
        try
        {
            await foreach (var jobId in _submissions.Reader.ReadAllAsync(_stopping.Token))
            {
                _queued.TryRemove(jobId, out _);
                try
                {
                    await SubmitNowAsync(jobId, _stopping.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Job {JobId}: SLURM submission failed; the reconcile tries again", jobId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A submission still in flight after this long was left by a process that died.</summary>
    private TimeSpan Grace => _options.Slurm.CommandTimeout * 2;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task SubmitNowAsync(string jobId, CancellationToken cancellationToken)
    {
        var current = await _jobs.FindAsync(jobId, cancellationToken);
        if (current is not { Phase: JobPhase.QUEUED })
            return;
        if (IsSlurmId(current.ManagerJobId))
        {
            // Run again after SLURM held it: the job is still there, so release it rather than submit anew.
            await _slurm.ReleaseAsync(current.ManagerJobId!, cancellationToken);
            return;
        }

        // Claimed only from no claim at all: a claim already there is another submission in flight (this process's
        // reconcile or another server process on the same database), and taking it over would submit the job twice.
        // The reconcile frees a claim whose process died.
        if (current.ManagerJobId is not null)
            return;
        var claim = ClaimPrefix + NowMs.ToString(CultureInfo.InvariantCulture);
        if (!await _jobs.TrySetManagerJobIdAsync(jobId, null, claim, [JobPhase.QUEUED], cancellationToken))
            return; // another process submits it, or it was aborted meanwhile

        string slurmId;
        try
        {
            var definition = await _catalog.GetVersionAsync(current.Definition, current.DefinitionVersion, cancellationToken);
            var userSettable = definition.Parameters.Select(p => p.Name).Intersect(SlurmControl.UserOptions).ToList();
            var ownerAccount = current.Owner is { } owner ? (await _users.FindAsync(owner, cancellationToken))?.SlurmAccount : null;
            // Shared staging: the runner itself runs, in the job folder every node mounts. HTTP staging: a small
            // script that fetches the job's files from the server into node-local scratch and sends results back.
            var submission = _options.Slurm.IsHttpStaging
                ? SlurmControl.Submission(current, definition.Resources, _options.Slurm, _staging.NodeFolder, "", userSettable,
                    await _staging.BatchScriptAsync(jobId, cancellationToken), ownerAccount)
                : SlurmControl.Submission(
                    current, definition.Resources, _options.Slurm, _workspace.DirectoryOf(jobId), _workspace.RunnerPath(jobId), userSettable,
                    ownerAccount: ownerAccount);
            if (submission.Options.TimeMinutes is { } minutes && minutes * 60 != current.ExecutionDuration)
                _logger.LogInformation("Job {JobId}: execution duration {Seconds} s becomes --time={Minutes} (SLURM limits are whole minutes, rounded up)",
                    jobId, current.ExecutionDuration, minutes);
            slurmId = await _slurm.SubmitAsync(submission, cancellationToken);
            Reached();
        }
        catch (SlurmUnreachableException e)
        {
            // Nothing was submitted: the job stays QUEUED and goes when the cluster answers again.
            Lost(e);
            if (await _jobs.TrySetManagerJobIdAsync(jobId, claim, null, [JobPhase.QUEUED], cancellationToken))
                _waiting[jobId] = 0;
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OpusNotFoundException)
        {
            _logger.LogWarning("Job {JobId}: not submitted to SLURM: {Reason}", jobId, e.Message);
            _metrics.SlurmSubmissionFailed();
            await _events.FinishAsync(jobId, JobPhase.ERROR, e.Message, cancellationToken: cancellationToken);
            return;
        }

        _logger.LogInformation("Job {JobId}: SLURM job {SlurmId}", jobId, slurmId);
        if (!await _jobs.TrySetManagerJobIdAsync(jobId, claim, slurmId, JobPhases.Active, cancellationToken))
        {
            // A fast job may have run and reported its end before sbatch answered here (a loaded machine): that
            // one keeps its id. Aborted (or destroyed) while sbatch ran: the SLURM job must not run on.
            var now = await _jobs.FindAsync(jobId, cancellationToken);
            if (now is { Phase: JobPhase.COMPLETED or JobPhase.ERROR }
                && await _jobs.TrySetManagerJobIdAsync(jobId, claim, slurmId, [now.Phase], cancellationToken))
                return;
            await _slurm.CancelAsync(SlurmControl.JobName(jobId), slurmId, cancellationToken);
        }
    }

    public async Task KillAsync(Job job, CancellationToken cancellationToken = default)
    {
        // The handle may have been recorded after the caller read the job.
        var handle = (await _jobs.FindAsync(job.Id, cancellationToken))?.ManagerJobId ?? job.ManagerJobId;
        // Without an id yet (sbatch in flight), cancel by name; the submitter cancels what it submits after this.
        _waiting.TryRemove(job.Id, out _);
        try
        {
            await _slurm.CancelAsync(SlurmControl.JobName(job.Id), IsSlurmId(handle) ? handle : null, cancellationToken);
        }
        catch (SlurmUnreachableException e)
        {
            // Never submitted (it waited for the cluster), or its sbatch is in flight: that submitter cancels what it
            // submits. Submitted: the job is ABORTED already; its SLURM job is cancelled when the cluster answers again.
            Lost(e);
            if (IsSlurmId(handle))
            {
                _cancels[job.Id] = handle!;
                _logger.LogWarning("Job {JobId}: the cluster is unreachable; SLURM job {SlurmId} will be cancelled when it answers", job.Id, handle);
            }
        }
    }

    /// <summary>The cancellations the cluster could not take when their jobs were aborted, tried again.</summary>
    private async Task RetryCancelsAsync(CancellationToken cancellationToken)
    {
        foreach (var (jobId, slurmId) in _cancels)
        {
            try
            {
                await _slurm.CancelAsync(SlurmControl.JobName(jobId), slurmId, cancellationToken);
                _cancels.TryRemove(jobId, out _);
                Reached();
                _logger.LogInformation("Job {JobId}: SLURM job {SlurmId} cancelled now that the cluster answers", jobId, slurmId);
            }
            catch (SlurmUnreachableException e)
            {
                Lost(e);
                return;
            }
        }
    }

    public Task ReconcileAsync(Job job, CancellationToken cancellationToken = default) =>
        ReconcileAsync([job], cancellationToken);

    /// <summary>
    /// Brings active jobs in line with their events files and what SLURM says. Never declares a job lost
    /// because SLURM could not be asked: only when SLURM answered and no longer knows the job.
    /// </summary>
    internal async Task ReconcileAsync(IReadOnlyList<Job> active, CancellationToken cancellationToken)
    {
        var silent = new List<Job>();
        foreach (var job in active)
        {
            // A suspended job's EXECUTING report is old news: SLURM says when it runs again.
            foreach (var report in RunnerEvent.ReadFile(_workspace.EventsPath(job.Id)).Where(r => job.Phase != JobPhase.SUSPENDED || r.Phase.IsFinal()))
                await _events.ApplyAsync(job.Id, report, cancellationToken: cancellationToken);
            if (await _jobs.FindAsync(job.Id, cancellationToken) is { } now && now.Phase.IsActive())
                silent.Add(now);
        }

        if (silent.Count == 0)
            return;

        // One job with a SLURM id: ask for that one; otherwise one listing of every job.
        IReadOnlyList<SlurmJobState> states;
        try
        {
            states = silent is [{ ManagerJobId: var only }] && IsSlurmId(only)
                ? await _slurm.QueryAsync([only!], cancellationToken)
                : await _slurm.QueryAsync(null, cancellationToken);
            Reached();
        }
        catch (SlurmUnreachableException e)
        {
            // Nothing can be known: every job stays as it is.
            Lost(e);
            return;
        }

        foreach (var job in silent)
        {
            try
            {
                await ReconcileOneAsync(job, states, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Job {JobId}: SLURM reconcile failed", job.Id);
            }
        }
    }

    private async Task ReconcileOneAsync(Job job, IReadOnlyList<SlurmJobState> states, CancellationToken cancellationToken)
    {
        var name = SlurmControl.JobName(job.Id);
        var handle = job.ManagerJobId;
        if (!IsSlurmId(handle))
        {
            if (handle is not null && handle.StartsWith(ClaimPrefix, StringComparison.Ordinal)
                && long.TryParse(handle[ClaimPrefix.Length..], CultureInfo.InvariantCulture, out var claimed)
                && NowMs - claimed < Grace.TotalMilliseconds)
                return; // a submission in flight

            // Never submitted, or its submitter died between sbatch and recording the id: SLURM may know it by name.
            if (states.Where(s => s.JobName == name).MaxBy(s => long.TryParse(s.JobId, CultureInfo.InvariantCulture, out var n) ? n : 0) is { } named)
            {
                _abandoned.TryRemove(job.Id, out _);
                if (await _jobs.TrySetManagerJobIdAsync(job.Id, handle, named.JobId, JobPhases.Active, cancellationToken))
                    await ApplyStateAsync(job, named, cancellationToken);
                return;
            }

            // Its submission found the cluster out of reach; the cluster answered just now.
            if (job.Phase == JobPhase.QUEUED && handle is null && _waiting.TryRemove(job.Id, out _))
            {
                _logger.LogInformation("Job {JobId}: the cluster answers again; submitting it", job.Id);
                await SubmitAsync(job, cancellationToken);
                return;
            }

            // QUEUED without an id: some process may be between RUN and sbatch. Only a job still so after
            // the grace period was left behind by a process that stopped.
            var firstSeen = _abandoned.GetOrAdd(job.Id, _ => _time.GetUtcNow());
            if (job.Phase != JobPhase.QUEUED || _time.GetUtcNow() - firstSeen < Grace)
                return;
            _abandoned.TryRemove(job.Id, out _);
            if (handle is not null && !await _jobs.TrySetManagerJobIdAsync(job.Id, handle, null, [JobPhase.QUEUED], cancellationToken))
                return;
            if (IsPrepared(job.Id))
            {
                _logger.LogInformation("Job {JobId}: QUEUED but never submitted to SLURM; submitting it", job.Id);
                await SubmitAsync(job, cancellationToken);
            }
            else
            {
                await _events.FinishAsync(job.Id, JobPhase.ERROR, "the server stopped before the job was submitted", cancellationToken: cancellationToken);
            }

            return;
        }

        var state = states.FirstOrDefault(s => s.JobId == handle && s.JobName == name);
        if (state is null)
        {
            // Purged after MinJobAge, or the cluster was rebuilt; the events file holds no end either.
            await _events.FinishAsync(job.Id, JobPhase.ERROR,
                $"SLURM no longer knows the job (SLURM job {handle}); it ended without reporting its end", cancellationToken: cancellationToken);
            return;
        }

        await ApplyStateAsync(job, state, cancellationToken);
    }

    /// <summary>Applies a SLURM state as a compare-and-set phase change.</summary>
    private async Task ApplyStateAsync(Job job, SlurmJobState state, CancellationToken cancellationToken)
    {
        if (state.ToUws() is not { } mapped)
            return;
        switch (mapped.Phase)
        {
            case JobPhase.QUEUED when state.IsRequeued:
                // Its node failed and the definition allows a new run: it waits again, then starts from the beginning.
                if (await _events.ObserveAsync(job.Id, JobTransitions.Requeue, cancellationToken))
                {
                    _logger.LogInformation("Job {JobId}: SLURM requeued it (restart {Restarts}); it runs again from the start", job.Id, state.Restarts);
                    // A shared folder's events file still says EXECUTING from the lost run: set aside, it must not start the job again.
                    if (!_options.Slurm.IsHttpStaging && File.Exists(_workspace.EventsPath(job.Id)))
                        File.Move(_workspace.EventsPath(job.Id), _workspace.EventsPath(job.Id) + ".requeued", overwrite: true);
                }

                break;
            case JobPhase.QUEUED:
                await _events.ObserveAsync(job.Id, JobTransitions.Release, cancellationToken);
                break;
            case JobPhase.HELD:
                await _events.ObserveAsync(job.Id, JobTransitions.Hold, cancellationToken);
                break;
            case JobPhase.EXECUTING:
                await _events.ObserveAsync(job.Id, JobTransitions.Start, cancellationToken);
                break;
            case JobPhase.SUSPENDED:
                await _events.ObserveAsync(job.Id, JobTransitions.Suspend, cancellationToken);
                break;
            default:
                await SettleEndAsync(job.Id, state, cancellationToken);
                break;
        }
    }

    /// <summary>
    /// A job SLURM says has ended. The runner's own report wins for COMPLETED and FAILED (it has the exit
    /// code and the stderr lines); SLURM's state wins for the ends the runner cannot see (cancelled, time
    /// limit, node failure, out of memory).
    /// </summary>
    private async Task SettleEndAsync(string jobId, SlurmJobState state, CancellationToken cancellationToken)
    {
        if (!state.IsFinal || state.ToUws() is not { } mapped)
            return;
        var (phase, message) = mapped;
        var end = RunnerEvent.ReadFile(_workspace.EventsPath(jobId)).LastOrDefault(r => r.Phase.IsFinal());
        // A staged job that never reported: its batch script's exit code says which staging step failed.
        if (end is null && _options.Slurm.IsHttpStaging)
            message = _staging.DescribeFailure(state) ?? message;
        if (end is not null && state.State is "COMPLETED" or "FAILED")
        {
            await _events.FinishAsync(jobId, end.Phase, end.Phase == JobPhase.ERROR ? _events.DescribeFailure(jobId, end.ExitCode) : null, end.Time, cancellationToken: cancellationToken);
            return;
        }

        _logger.LogInformation("Job {JobId}: SLURM says {State}", jobId, state.State);
        await _events.FinishAsync(jobId, phase, message, end?.Time, cancellationToken: cancellationToken);
    }

    private async Task ReconcileLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.Slurm.ReconcileInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await RetryCancelsAsync(_stopping.Token);
                    var active = (await _jobs.InPhasesAsync(JobPhases.Active, _stopping.Token)).Where(j => j.Manager == ManagerName).ToList();
                    if (active.Count > 0)
                        await ReconcileAsync(active, _stopping.Token);
                    else
                        await PingAsync(_stopping.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("SLURM reconcile skipped: {Reason}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>With no job to ask about, the controller is pinged so that /status says whether the cluster answers now.</summary>
    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _slurm.PingAsync(cancellationToken);
            Reached();
        }
        catch (SlurmUnreachableException e)
        {
            Lost(e);
        }
    }

    /// <summary>Jobs whose runner was signalled: wait (bounded) until SLURM records the end, then settle.</summary>
    private async Task SettleLoopAsync()
    {
        try
        {
            await foreach (var jobId in _settle.Reader.ReadAllAsync(_stopping.Token))
                _ = Task.Run(() => SettleSignalledAsync(jobId));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SettleSignalledAsync(string jobId)
    {
        try
        {
            var deadline = _time.GetUtcNow() + TimeSpan.FromSeconds(30);
            while (_time.GetUtcNow() < deadline)
            {
                var job = await _jobs.FindAsync(jobId, _stopping.Token);
                if (job is null || job.Phase.IsFinal())
                    return;
                var state = IsSlurmId(job.ManagerJobId)
                    ? (await _slurm.QueryAsync([job.ManagerJobId!], _stopping.Token)).FirstOrDefault(s => s.JobName == SlurmControl.JobName(jobId))
                    : null;
                if (state is null)
                    break;
                if (state.IsFinal)
                {
                    await SettleEndAsync(jobId, state, _stopping.Token);
                    return;
                }

                // COMPLETING: the runner is still on its way out.
                await Task.Delay(200, _stopping.Token);
            }

            // SLURM could not tell (or took too long): the runner's own report stands.
            var end = RunnerEvent.ReadFile(_workspace.EventsPath(jobId)).LastOrDefault(r => r.Phase == JobPhase.ERROR);
            await _events.FinishAsync(jobId, JobPhase.ERROR, _events.DescribeFailure(jobId, end?.ExitCode), end?.Time, cancellationToken: _stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId}: settling its end failed; the next reconcile tries again", jobId);
        }
        finally
        {
            _settle.Done(jobId);
        }
    }

    private bool IsPrepared(string jobId) =>
        File.Exists(_workspace.RunnerPath(jobId)) && File.Exists(Path.Combine(_workspace.DirectoryOf(jobId), "parameters.json"));

    private static bool IsSlurmId(string? handle) => handle is { Length: > 0 } && handle.All(char.IsAsciiDigit);

    // The container disposes it twice (as itself and as IJobManager), and loops may still read the token: cancel only, as LocalManager does.
    public override void Dispose()
    {
        _stopping.Cancel();
        base.Dispose();
    }
}
