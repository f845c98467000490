using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Runs jobs on this machine: each runner in its own session and process group (setsid), at most
/// <see cref="OpusOptions.MaxConcurrentJobs"/> at once (the rest wait in QUEUED), killed as a whole
/// group on abort or when the execution duration is reached. Its workers are a hosted service: they start
/// and stop with the host (the server, or a PowerShell local session); runners outlive them.
/// </summary>
public sealed class LocalManager : BackgroundService, IJobManager
{
    // The jobs as submitted: what a start needs of them (definition, owner, duration) does not change once they are QUEUED.
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>();
    private readonly ConcurrentDictionary<string, int> _running = new(StringComparer.Ordinal);

    // Jobs whose runner ended but whose end could not be applied (a full disk): the sweep tries again.
    private readonly ConcurrentDictionary<string, byte> _unsettled = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _workers;

    // One slot per running job, whether started here or adopted after a restart, so survivors count against the limit.
    // Not disposed: workers may still release during shutdown, and it never allocates a wait handle.
    private readonly SemaphoreSlim _slots;
    private readonly OpusOptions _options;
    private readonly JobWorkspace _workspace;
    private readonly JobLimits _limits;
    private readonly JobEvents _events;
    private readonly JobRepository _jobs;
    private readonly JobProgressReports _progress;
    private readonly TimeProvider _time;
    private readonly ILogger<LocalManager> _logger;

    public LocalManager(
        OpusOptions options, JobWorkspace workspace, JobLimits limits, JobEvents events, JobRepository jobs, JobProgressReports progress, TimeProvider time,
        ILogger<LocalManager> logger)
    {
        _options = options;
        _workspace = workspace;
        _limits = limits;
        _events = events;
        _jobs = jobs;
        _progress = progress;
        _time = time;
        _logger = logger;
        _workers = Math.Max(1, options.MaxConcurrentJobs);
        _slots = new SemaphoreSlim(_workers, _workers);
    }

    public const string ManagerName = "local";

    public string Name => ManagerName;

    /// <summary>The manager's own timer stops a job at its limit; the sweep steps in only when that failed.</summary>
    public TimeSpan TimeLimitGrace => TimeSpan.FromSeconds(_options.KillGraceSeconds + 30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var registration = stoppingToken.Register(() => _stopping.Cancel());
        if (!_options.Local.IsSandboxed)
            _logger.LogWarning("Opus:Local:Sandbox is none: local jobs run as the server's user and can read and change its database, store and other jobs");
        var workers = Enumerable.Range(0, _workers).Select(_ => Task.Run(WorkAsync, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async Task SweepAsync(CancellationToken cancellationToken = default)
    {
        foreach (var jobId in _unsettled.Keys)
        {
            _unsettled.TryRemove(jobId, out _);
            await SettleAsync(jobId);
        }

        // Cgroups of jobs whose runner ended while no server watched it (a server stopped meanwhile, its data gone).
        JobCgroups.RemoveAbandoned(JobCgroups.AbandonedAfter);
    }

    public Task SubmitAsync(Job job, CancellationToken cancellationToken = default)
    {
        _queue.Writer.TryWrite(job);
        return Task.CompletedTask;
    }

    public async Task KillAsync(Job job, CancellationToken cancellationToken = default)
    {
        // Another server process on this machine may have started it: its process group is as visible from here.
        // The group may have been recorded after the caller read the job.
        var current = await _jobs.FindAsync(job.Id, cancellationToken) ?? job;
        if (_running.TryGetValue(job.Id, out var group) || TryAdoptedGroup(current, out group))
            Stop(group);
    }

    public async Task ReconcileAsync(Job job, CancellationToken cancellationToken = default)
    {
        if (await _events.ApplyEventsFileAsync(job.Id, cancellationToken))
            return;

        // A job another live server process claimed is that process's to run and watch.
        var handle = LocalHandle.Parse(job.ManagerJobId);
        if (handle?.Owner is { } owner && owner != ProcessIdentity.Current && ProcessIdentity.Check(owner) != ProcessIdentity.Liveness.Dead)
            return;

        // Its owner died while starting it: the runner may be up without its group recorded.
        if (handle is { Group: null } && ProcessGroups.FindRunner(_workspace.DirectoryOf(job.Id)) is { } found)
            handle = handle with { Group = found };

        if (handle?.Group is { } survivor && ProcessGroups.IsRunnerOf(survivor, _workspace.DirectoryOf(job.Id)))
        {
            // Take the job over, so that a third process does not adopt it as well.
            if (!await _jobs.TrySetManagerJobIdAsync(job.Id, job.ManagerJobId, LocalHandle.Running(survivor, ProcessIdentity.Current),
                    JobPhases.Reconciled, cancellationToken))
                return;
            var group = survivor;
            _logger.LogInformation("Job {JobId}: runner {Pid} survived the restart; watching it", job.Id, group);
            _running[job.Id] = group;
            // More survivors than slots (the limit was lowered) cannot be helped: they run on, outside the count.
            var slot = _slots.Wait(0);
            _ = Task.Run(() => WatchAdoptedAsync(job, group, slot));
            return;
        }

        var reported = RunnerEvent.ReadFile(_workspace.EventsPath(job.Id));
        if (job.Phase == JobPhase.QUEUED && reported.Count == 0)
        {
            // Never started (or its starter died before the runner ran): start it here, under a fresh claim.
            if (job.ManagerJobId is null || await _jobs.TrySetManagerJobIdAsync(job.Id, job.ManagerJobId, null, [JobPhase.QUEUED], cancellationToken))
                await SubmitAsync(job, cancellationToken);
            return;
        }

        await _events.FinishAsync(job.Id, JobPhase.ERROR,
            await _limits.ExceededAsync(job.Id, exitStatus: null, cancellationToken) ?? "the job's process ended while the server was down, without reporting its end",
            cancellationToken: cancellationToken);
        await _limits.ReleaseAsync(job.Id);
    }

    public Task TakeOverAsync(Job job, CancellationToken cancellationToken = default)
    {
        // Only a recorded owner that is dead: this process's own jobs are watched here already, a live
        // neighbour's (or another machine's) are theirs, and an unclaimed QUEUED job may be waiting in a
        // live process's queue, so only a start-up reconcile resubmits those.
        var owner = LocalHandle.Parse(job.ManagerJobId)?.Owner;
        if (owner is null || owner == ProcessIdentity.Current || ProcessIdentity.Check(owner) != ProcessIdentity.Liveness.Dead)
            return Task.CompletedTask;
        _logger.LogInformation("Job {JobId}: its server process {Owner} is gone; taking it over", job.Id, owner);
        return ReconcileAsync(job, cancellationToken);
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var submitted in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                var jobId = submitted.Id;
                await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    await RunAsync(submitted);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogError(e, "Job {JobId}: the local manager failed to run it", jobId);
                    await SettleAsync(jobId, "the server could not start the job");
                    await _limits.ReleaseAsync(jobId);
                }
                finally
                {
                    _slots.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(Job job)
    {
        var stages = new StageTimes { Dequeued = Now };
        var jobId = job.Id;
        // The claim: when several server processes share the database, exactly one starts the job, the one that takes
        // it QUEUED and unclaimed (every submission leaves it unclaimed; a job aborted or claimed meanwhile is not started).
        var claim = LocalHandle.Starting(ProcessIdentity.Current);
        if (!await _jobs.TrySetManagerJobIdAsync(jobId, null, claim, [JobPhase.QUEUED]))
            return;

        var directory = _workspace.DirectoryOf(jobId);
        // The runner reports its phases on its standard output (read below), not by a curl to the server; bwrap's
        // and the limits' few words arrive there and on standard error, and go to the log. Not the server's own
        // streams, which a supervisor (or a test) reads until every holder closes them.
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _limits.AddCommand(start, jobId, await _limits.ForAsync(job));
        if (_options.Local.IsSandboxed)
        {
            JobSandbox.GiveFolder(_options.Local, directory);
            JobSandbox.AddCommand(start, _options.Local, directory, _workspace.RunnerPath(jobId), HiddenFromJobs());
        }
        else
        {
            start.ArgumentList.Add("bash");
            start.ArgumentList.Add(_workspace.RunnerPath(jobId));
            start.ArgumentList.Add(directory);
        }

        // Jobs see a small, known environment: nothing of the server's (secrets, connection strings).
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["HOME"] = directory;
        start.Environment["TMPDIR"] = directory;
        start.Environment["OPUS_REPORT_PIPE"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("setsid did not start");
        stages.Started = Now;
        process.StandardInput.Close();
        process.ErrorDataReceived += (_, e) => LogSandboxLine(jobId, e.Data);
        process.BeginErrorReadLine();

        var group = process.Id;
        _running[jobId] = group;
        var reports = Task.CompletedTask;
        var progress = new ProgressWatch(_workspace.ProgressPath(jobId));
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var watcher = Task.CompletedTask;
        var limitReached = false;
        try
        {
            // Fails only when the job left its active phases: an abort won the race between our claim and the start
            // (an abort after this finds the group in _running).
            if (!await _jobs.TrySetManagerJobIdAsync(jobId, claim, LocalHandle.Running(group, ProcessIdentity.Current), JobPhases.Reconciled))
                Stop(group);
            // Read from here, so a report never precedes the group's record; the pipe holds the lines meanwhile.
            watcher = WatchProgressAsync(jobId, progress, watching.Token);
            reports = ApplyReportsAsync(job, process.StandardOutput, stages, () => StopWatchingAsync(jobId, progress, watching, watcher));

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            if (job.ExecutionDuration > 0)
                limit.CancelAfter(TimeSpan.FromSeconds(job.ExecutionDuration));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
            {
                // Claimed first, so the runner's report of the signal does not say why it ended; collected once it is gone.
                limitReached = true;
                await _events.ClaimFinishAsync(jobId, JobPhase.ERROR, TimeLimitMessage(job));
                Stop(group);
                await process.WaitForExitAsync(_stopping.Token);
            }

            // The last report may still be applied: the events file is read after it, not beside it.
            await reports.WaitAsync(ReportsDrain).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _running.TryRemove(jobId, out _);
            await watching.CancelAsync();
            await watcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Its end came through the pipe and was applied: the events file says nothing more. Only a claim that waited for
        // the runner to be gone (its time limit), or whose collection failed, is left to carry out.
        if (stages.EndApplied && !limitReached)
            await CompleteClaimAsync(jobId);
        else
            await SettleAsync(jobId);
        await _limits.ReleaseAsync(jobId);
    }

    // After the runner is gone, its pipe ends at once; the bound is for a report still being applied (results being stored).
    private static readonly TimeSpan ReportsDrain = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Applies each phase the runner reports on its standard output as it comes (the events file says the same, and
    /// is read again when the runner ends without a final report applied); any other line is bwrap's or the limits' and goes to the log.
    /// </summary>
    private async Task ApplyReportsAsync(Job job, StreamReader output, StageTimes stages, Func<Task> lastProgress)
    {
        var jobId = job.Id;
        try
        {
            while (await output.ReadLineAsync(_stopping.Token) is { } line)
            {
                if (RunnerEvent.Parse(line) is not { } report)
                {
                    LogSandboxLine(jobId, line);
                    continue;
                }

                var read = Now;
                if (report.Phase == JobPhase.EXECUTING)
                {
                    await _events.ApplyAsync(job, report, _stopping.Token);
                    stages.Executing = report.Time;
                    continue;
                }

                // The script's last progress before its end, as the runner's own watcher sent it.
                await lastProgress();
                await _events.ApplyAsync(job, report, _stopping.Token);
                stages.EndApplied = true;
                stages.LogEnd(_logger, jobId, job.CreationTime, report.Time, read, Now);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Job {JobId}: a report of its runner could not be applied; its events file is read when it ends", jobId);
        }
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>Where a job's time goes, from its creation to its end written (logged at Debug; bench/ reads it).</summary>
    private sealed class StageTimes
    {
        public DateTime Dequeued { get; init; }

        public DateTime Started { get; set; }

        public DateTime? Executing { get; set; }

        /// <summary>A final report came through the pipe and was applied.</summary>
        public bool EndApplied { get; set; }

        public void LogEnd(ILogger logger, string jobId, DateTime created, DateTime reportedEnd, DateTime read, DateTime ended)
        {
            if (!logger.IsEnabled(LogLevel.Debug) || Executing is not { } executing)
                return;
            static string Ms(DateTime from, DateTime to) => (to - from).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
            logger.LogDebug(
                "Job {JobId} stages (ms): queue {Queue}, process start {ProcessStart}, runner start {RunnerStart}, script {Script}, report {Report}, end written {EndWritten}; ended at {Ended}",
                jobId, Ms(created, Dequeued), Ms(Dequeued, Started), Ms(Started, executing), Ms(executing, reportedEnd), Ms(reportedEnd, read), Ms(read, ended),
                ended.ToString("O", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// A local runner starts no progress watcher: the script's progress file is read here once a second while it runs, and
    /// only a changed line reported (coalesced further by <see cref="JobProgressReports"/>).
    /// </summary>
    private async Task WatchProgressAsync(string jobId, ProgressWatch progress, CancellationToken cancellationToken)
    {
        try
        {
            using var tick = new PeriodicTimer(JobProgressReports.Interval, _time);
            // A report under way is finished, not cancelled: its line counts as seen.
            while (await tick.WaitForNextTickAsync(cancellationToken))
                await ReportProgressAsync(jobId, progress, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the watcher, then reports the file's last line: a loop's final call is never lost, nor overtaken.</summary>
    private async Task StopWatchingAsync(string jobId, ProgressWatch progress, CancellationTokenSource watching, Task watcher)
    {
        await watching.CancelAsync();
        await watcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await ReportProgressAsync(jobId, progress, _stopping.Token);
    }

    private async Task ReportProgressAsync(string jobId, ProgressWatch progress, CancellationToken cancellationToken)
    {
        if (progress.Changed() is { } changed)
            await _progress.ReportAsync(jobId, changed, cancellationToken);
    }

    /// <summary>
    /// The progress file a script writes with opus_progress: one "PERCENT MESSAGE" line padded with spaces, rewritten in
    /// place. Remembers the last line it saw, so only a change counts.
    /// </summary>
    private sealed class ProgressWatch(string path)
    {
        private string? _seen;

        public JobProgress? Changed()
        {
            string? line;
            try
            {
                if (!File.Exists(path))
                    return null;
                using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1024));
                line = reader.ReadLine()?.TrimEnd(' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            if (string.IsNullOrEmpty(line) || line == _seen)
                return null;
            _seen = line;
            return JobProgress.ParseLine(line);
        }
    }

    /// <summary>A claim left on the job after its end was applied (a time limit's, or one whose collection failed), carried out.</summary>
    private async Task CompleteClaimAsync(string jobId)
    {
        try
        {
            await _events.CompleteAsync(jobId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Job {JobId}: its end could not be applied; the sweep tries again", jobId);
            _unsettled[jobId] = 0;
        }
    }

    /// <summary>
    /// After the runner is gone: apply what it wrote, and end the job if it never reported an end. Should the
    /// database refuse (a full disk), the job is kept for the next sweep rather than left EXECUTING.
    /// </summary>
    private async Task SettleAsync(string jobId, string reason = "the job's runner ended without reporting its end")
    {
        try
        {
            // A runner killed with its job (out of memory) reports nothing: the limit is the reason.
            if (!await _events.ApplyEventsFileAsync(jobId))
                await _events.FinishAsync(jobId, JobPhase.ERROR, await _limits.ExceededAsync(jobId, exitStatus: null) ?? reason);
            // A claim made before the runner was gone (its time limit) is carried out now.
            await _events.CompleteAsync(jobId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Job {JobId}: its end could not be applied; the sweep tries again", jobId);
            _unsettled[jobId] = 0;
        }
    }

    private async Task WatchAdoptedAsync(Job job, int group, bool slot)
    {
        var deadline = job.ExecutionDuration > 0 && job.StartTime is { } started ? started.AddSeconds(job.ExecutionDuration) : DateTime.MaxValue;
        var progress = new ProgressWatch(_workspace.ProgressPath(job.Id));
        try
        {
            // Not our child: no exit notification, so a slow look at the process group (and its script's progress).
            while (ProcessGroups.IsAlive(group) && !_stopping.IsCancellationRequested)
            {
                if (_time.GetUtcNow().UtcDateTime >= deadline)
                {
                    await _events.ClaimFinishAsync(job.Id, JobPhase.ERROR, TimeLimitMessage(job));
                    Stop(group);
                }

                await ReportProgressAsync(job.Id, progress, _stopping.Token);

                await Task.Delay(500, _stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
        }

        try
        {
            await SettleAsync(job.Id);
            await _limits.ReleaseAsync(job.Id);
        }
        finally
        {
            if (slot)
                _slots.Release();
        }
    }

    private void LogSandboxLine(string jobId, string? line)
    {
        if (!string.IsNullOrEmpty(line))
            _logger.LogWarning("Job {JobId}: sandbox: {Line}", jobId, line);
    }

    // The server's own folders: its data (database, store, other jobs), its configuration and binaries, its definitions.
    private IEnumerable<string> HiddenFromJobs()
    {
        yield return _options.FullDataPath;
        if (Path.GetDirectoryName(typeof(LocalManager).Assembly.Location) is { Length: > 0 } binaries)
            yield return binaries;
        if (_options.DefinitionsPath is { } definitions)
            yield return Path.GetFullPath(definitions);
    }

    private static string TimeLimitMessage(Job job) => $"the execution duration of {job.ExecutionDuration} s was reached; the job was stopped";

    private bool TryAdoptedGroup(Job job, out int group)
    {
        group = LocalHandle.Parse(job.ManagerJobId)?.Group ?? 0;
        return group > 1 && ProcessGroups.IsRunnerOf(group, _workspace.DirectoryOf(job.Id));
    }

    /// <summary>SIGTERM to the whole group (the runner's trap reports), then SIGKILL after the grace period.</summary>
    private void Stop(int group)
    {
        if (!ProcessGroups.Signal(group, ProcessGroups.SIGTERM))
            return;
        _ = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(_options.KillGraceSeconds));
            ProcessGroups.Signal(group, ProcessGroups.SIGKILL);
        });
    }

    // The token source is not disposed: workers still observe it while they wind down.
    public override void Dispose()
    {
        _stopping.Cancel();
        base.Dispose();
    }
}
