using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Provenance;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Core.Jobs;

/// <summary>
/// Everything a client can do to a job (UWS semantics), shared by the REST endpoints and the cmdlets.
/// Throws <see cref="OpusValidationException"/> (400), <see cref="OpusStateException"/> (403) or
/// <see cref="OpusNotFoundException"/> (404) with a one-line message.
/// </summary>
public sealed class JobService(
    JobRepository jobs,
    DefinitionCatalog catalog,
    JobWorkspace workspace,
    JobEvents events,
    JobSignals signals,
    InputResolver inputResolver,
    IEnumerable<IJobManager> managers,
    OpusOptions options,
    TimeProvider time,
    ILogger<JobService> logger,
    ProvenanceRecorder provenance)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<Job> CreateAsync(Caller caller, JobCreation request, CancellationToken cancellationToken = default)
    {
        var definition = catalog.Get(request.Definition);
        RequireUse(caller, definition.Name);
        // Without an authenticated creator the owner is NULL (UWS 2.1.8); anonymous jobs belong to no one user.
        var owner = caller.Anonymous ? null : caller.UserName;
        // Creation with PHASE=RUN beyond the quota is refused whole: a refused request leaves no job behind.
        var manager = definition.Resources?.Manager ?? options.Manager;
        if (request.Run)
        {
            RequireManager(definition.Name, manager);
            await RequireQuotaAsync(caller, owner, cancellationToken);
        }

        RequireRunIdLength(request.RunId);
        RequireNotify(request.Notify, owner);
        var slots = InputResolver.SlotsOf(definition);
        bool IsInput(string name) => slots.Any(slot => slot.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        var parameters = ValidateParameters(definition, request.Parameters.Where(p => !IsInput(p.Key)).ToList(), requireAll: true);
        if (request.Uploads.FirstOrDefault(u => !IsInput(u.Name)) is { } stray)
            throw new OpusValidationException($"upload '{stray.Name}': '{definition.Name}' has no input or file parameter of that name");
        // Inputs are resolved (uploaded, fetched, looked up) before the job exists: no job is ever half-written.
        var inputs = await inputResolver.ResolveAsync(slots, request.Parameters.Where(p => IsInput(p.Key)).ToList(), request.Uploads, caller, cancellationToken);
        // The job shows the values it runs with: defaults of parameters not given are listed too.
        parameters.AddRange(definition.Parameters
            .Where(p => p.Default is not null && p.Type != ParameterTypes.File && parameters.All(given => given.Name != p.Name))
            .Select(p => new JobParameter(p.Name, p.Default!)));
        parameters.AddRange(inputs.Select(i => i.Kind == JobInputKind.File
            ? new JobParameter(i.Name, i.Sha256!, ByReference: true)
            : new JobParameter(i.Name, i.Value)));
        // Kept at the millisecond the job document shows, so AFTER=<a job's creationTime> excludes that job (UWS 2.4).
        var now = Now;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond));
        var job = new Job
        {
            Id = NewJobId(),
            Definition = definition.Name,
            DefinitionVersion = definition.Version,
            RunId = request.RunId,
            Owner = owner,
            Phase = JobPhase.PENDING,
            CreationTime = now,
            ExecutionDuration = ClampDuration(request.ExecutionDuration ?? (definition.ExecutionDuration > 0 ? definition.ExecutionDuration : options.DefaultExecutionDuration)),
            Destruction = ClampDestruction(request.Destruction, now),
            Quote = definition.Quote is { } quote ? now.AddSeconds(quote) : null,
            Notify = request.Notify,
            Parameters = parameters,
            Inputs = inputs,
            // The definition may name its own manager; otherwise the server's.
            Manager = manager,
        };

        await jobs.AddAsync(job, cancellationToken);

        if (request.Run)
        {
            try
            {
                // The job just written, its quota just checked: run without reading or counting again.
                await RunAsync(caller, job, quotaChecked: true, cancellationToken);
            }
            catch
            {
                // All or nothing: a creation whose run failed before the job left PENDING (a full disk, a version
                // withdrawn meanwhile) leaves no job; the caller gets the run's error, whatever the removal does.
                try
                {
                    if (await jobs.FindAsync(job.Id, CancellationToken.None) is { Phase: JobPhase.PENDING } && await jobs.DeleteAsync(job.Id, CancellationToken.None))
                        workspace.Delete(job.Id);
                }
                catch (Exception removal)
                {
                    logger.LogError(removal, "Job {JobId}: its creation was refused, but the job could not be removed", job.Id);
                }

                throw;
            }
        }

        return job;
    }

    /// <summary>A job the caller may read; another owner's job is "not found", so its existence is not revealed.</summary>
    public async Task<Job> GetAsync(Caller caller, string definition, string id, CancellationToken cancellationToken = default)
    {
        var job = await jobs.FindAsync(id, cancellationToken);
        if (job is null || job.Definition != definition || !caller.MayRead(job.Owner))
            throw new OpusNotFoundException($"no job '{id}' in job list '{definition}'");
        return job;
    }

    /// <summary>The caller's jobs of a definition (every owner's for admins).</summary>
    public IAsyncEnumerable<JobSummary> ListAsync(Caller caller, JobQuery query, CancellationToken cancellationToken = default)
    {
        if (!catalog.Exists(query.Definition))
            throw new OpusNotFoundException($"no job definition named '{query.Definition}'");
        RequireUse(caller, query.Definition);
        if (!caller.IsAdmin)
            query = query with { Owner = caller.Anonymous ? null : caller.UserName, OnlyUnowned = caller.Anonymous };
        return jobs.ListAsync(query, cancellationToken);
    }

    /// <summary>Replaces the given parameters; only while PENDING (UWS 9.2).</summary>
    public async Task<Job> SetParametersAsync(Caller caller, string definition, string id, IReadOnlyList<KeyValuePair<string, string>> values, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        RequirePending(job, "its parameters cannot change");
        var jobDefinition = await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken);
        var slots = InputResolver.SlotsOf(jobDefinition);
        if (values.FirstOrDefault(v => slots.Any(slot => slot.Name.Equals(v.Key, StringComparison.OrdinalIgnoreCase))) is { Key: { } input })
            throw new OpusValidationException($"input '{input}' is set when the job is created; create a new job to change it");
        var changed = ValidateParameters(jobDefinition, values, requireAll: false);
        var merged = job.Parameters.Where(p => changed.All(c => c.Name != p.Name)).Concat(changed).ToList();
        if (!await jobs.TrySetParametersAsync(id, merged, cancellationToken))
            throw StateError(await GetAsync(caller, definition, id, cancellationToken), "its parameters cannot change");
        return await GetAsync(caller, definition, id, cancellationToken);
    }

    public async Task SetExecutionDurationAsync(Caller caller, string definition, string id, int seconds, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        RequirePending(job, "its execution duration cannot change");
        var value = ClampDuration(seconds);
        if (!await jobs.TryUpdateAsync(id, [JobPhase.PENDING], set => set.SetProperty(j => j.ExecutionDuration, value), cancellationToken))
            throw StateError(await GetAsync(caller, definition, id, cancellationToken), "its execution duration cannot change");
    }

    /// <summary>RUNID (UWS 1.1): the client's tag, changed only while PENDING, as the parameters are.</summary>
    public async Task SetRunIdAsync(Caller caller, string definition, string id, string runId, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        RequirePending(job, "its RUNID cannot change");
        RequireRunIdLength(runId);
        if (!await jobs.TryUpdateAsync(id, [JobPhase.PENDING], set => set.SetProperty(j => j.RunId, runId), cancellationToken))
            throw StateError(await GetAsync(caller, definition, id, cancellationToken), "its RUNID cannot change");
    }

    /// <summary>Sets the destruction time (any phase before the job is gone), within the server's limit.</summary>
    public async Task SetDestructionAsync(Caller caller, string definition, string id, DateTime destruction, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        var value = ClampDestruction(destruction, job.CreationTime);
        if (!await jobs.TryUpdateAsync(id, JobPhases.Any, set => set.SetProperty(j => j.Destruction, value), cancellationToken))
            throw new OpusNotFoundException($"no job '{id}' in job list '{definition}'");
    }

    /// <summary>PHASE=RUN: PENDING (or HELD) to QUEUED and hand over to the manager. RUN on a job already on its way is a no-op.</summary>
    public async Task RunAsync(Caller caller, string definition, string id, CancellationToken cancellationToken = default) =>
        await RunAsync(caller, await GetAsync(caller, definition, id, cancellationToken), quotaChecked: false, cancellationToken);

    private async Task RunAsync(Caller caller, Job job, bool quotaChecked, CancellationToken cancellationToken)
    {
        var (definition, id) = (job.Definition, job.Id);
        if (job.Phase.IsFinal())
            throw StateError(job, "it cannot be run again");
        if (job.Phase is not (JobPhase.PENDING or JobPhase.HELD))
            return;

        // A withdrawn version starts nothing new; jobs already handed to a manager (QUEUED, EXECUTING, held by SLURM) run on.
        if (job is not { Phase: JobPhase.HELD, ManagerJobId: not null } && await catalog.IsWithdrawnAsync(job.Definition, job.DefinitionVersion, cancellationToken))
            throw StateError(job, $"version '{job.DefinitionVersion}' of job definition '{job.Definition}' was withdrawn, so it cannot be run");

        RequireManager(job.Definition, job.Manager);
        if (!quotaChecked)
            await RequireQuotaAsync(caller, job.Owner, cancellationToken);

        if (job is { Phase: JobPhase.HELD, ManagerJobId: not null })
        {
            // Held by its manager after submission (SLURM: scontrol hold): released, not submitted again.
            if (await jobs.TryTransitionAsync(id, JobTransitions.Release, cancellationToken: cancellationToken))
                await ManagerOf(job).SubmitAsync(job, cancellationToken);
            return;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var tokenHash = JobWorkspace.HashToken(token);
        if (!await jobs.TryTransitionAsync(id, JobTransitions.Queue, set => set.SetProperty(j => j.CallbackTokenHash, tokenHash),
                new ChangedJob(job.Definition, job.Owner, job.StartTime, job.EndTime), cancellationToken))
        {
            var now = await GetAsync(caller, definition, id, cancellationToken);
            if (now.Phase.IsFinal())
                throw StateError(now, "it cannot be run again");
            return;
        }

        try
        {
            var jobDefinition = await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken);
            workspace.Prepare(job, jobDefinition, token);
            await ManagerOf(job).SubmitAsync(job, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            logger.LogError(e, "Job {JobId} could not be started", id);
            await events.FinishAsync(id, JobPhase.ERROR, StorageErrors.IsDiskFull(e) ? StorageErrors.DiskFullMessage : "the server could not prepare the job", cancellationToken: cancellationToken);
        }
    }

    /// <summary>PHASE=ABORT: any phase before the end goes to ABORTED; the job's processes are stopped.</summary>
    public async Task AbortAsync(Caller caller, string definition, string id, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        if (job.Phase.IsFinal())
            throw StateError(job, "it cannot be aborted");
        // Recorded with the phase change (results a stopped runner still reports are added to it later).
        if (!await events.EndAsync(job, JobTransitions.Abort, Now, job.Results, null, cancellationToken: cancellationToken))
        {
            var now = await GetAsync(caller, definition, id, cancellationToken);
            throw StateError(now, "it cannot be aborted");
        }

        if (job.Phase != JobPhase.PENDING)
            await ManagerOf(job).KillAsync(job, cancellationToken);
    }

    /// <summary>Destroys the job: aborts it if it runs, removes its files and its record (UWS 4.6).</summary>
    public async Task DeleteAsync(Caller caller, string definition, string id, CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(caller, definition, id, cancellationToken);
        await DestroyAsync(job, cancellationToken);
    }

    /// <summary>Opus:Destruction=archive: the job stops if running, its provenance is recorded, then it is ARCHIVED without files or results.</summary>
    private async Task ArchiveAsync(Job job, CancellationToken cancellationToken)
    {
        if (!job.Phase.IsFinal() && job.Phase != JobPhase.PENDING)
        {
            await events.EndAsync(job, JobTransitions.Abort, Now, job.Results, null, cancellationToken: cancellationToken);
            await ManagerOf(job).KillAsync(job, cancellationToken);
        }

        await provenance.RecordAsync(job.Id, cancellationToken);
        var noResults = new List<JobResult>();
        if (!await jobs.TryTransitionAsync(job.Id, JobTransitions.Archive, set => set.SetProperty(j => j.Results, noResults), cancellationToken))
            return;
        workspace.Delete(job.Id);
        logger.LogInformation("Job {JobId}: archived at its destruction time", job.Id);
    }

    internal async Task DestroyAsync(Job job, CancellationToken cancellationToken)
    {
        if (!job.Phase.IsFinal() && job.Phase != JobPhase.PENDING)
        {
            await events.EndAsync(job, JobTransitions.Abort, Now, job.Results, null, cancellationToken: cancellationToken);
            await ManagerOf(job).KillAsync(job, cancellationToken);
        }

        // The provenance outlives the job (provenance.md section 4 rule 7): recorded, with any late result, before the row goes.
        await provenance.RecordAsync(job.Id, cancellationToken);
        await jobs.DeleteAsync(job.Id, cancellationToken);
        try
        {
            workspace.Delete(job.Id);
        }
        catch (IOException e)
        {
            // A killed job may still be writing; the sweeper's next pass would find no record, so retry once.
            logger.LogWarning("Job {JobId}: directory removal retried: {Reason}", job.Id, e.Message);
            await Task.Delay(TimeSpan.FromSeconds(options.KillGraceSeconds), cancellationToken);
            workspace.Delete(job.Id);
        }
    }

    /// <summary>
    /// UWS blocking WAIT: returns when the job changes, after <paramref name="seconds"/> (-1 = the cap),
    /// or at once when the job is in a phase that does not block or not in <paramref name="expected"/>.
    /// </summary>
    public async Task<Job> WaitAsync(Caller caller, string definition, string id, int seconds, JobPhase? expected, CancellationToken cancellationToken = default)
    {
        // The signal is taken before the read, so a change between the two is not missed.
        var change = signals.NextChange(id);
        var job = await GetAsync(caller, definition, id, cancellationToken);
        if (!job.Phase.CanBlock() || (expected is { } phase && job.Phase != phase) || seconds == 0)
            return job;
        var wait = TimeSpan.FromSeconds(seconds < 0 ? options.WaitCapSeconds : Math.Min(seconds, options.WaitCapSeconds));
        try
        {
            await change.WaitAsync(wait, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return await jobs.FindAsync(id, cancellationToken) ?? job;
        }

        // Every waiter woken by this change gets the job from one read, not one read each (1,000 waiters, one query).
        var changed = _readAfterChange.GetValue(change, _ => new Lazy<Task<Job?>>(() => jobs.FindAsync(id, CancellationToken.None)));
        return await changed.Value.WaitAsync(cancellationToken) ?? job;
    }

    // The job as read once after each change, keyed by the change's signal; gone with the signal.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Task, Lazy<Task<Job?>>> _readAfterChange = new();

    /// <summary>Destroys jobs whose destruction time has passed; returns how many.</summary>
    public async Task<int> DestroyExpiredAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var id in await jobs.ExpiredAsync(Now, 500, cancellationToken))
        {
            if (await jobs.FindAsync(id, cancellationToken) is { } job)
            {
                if (options.Destruction == OpusOptions.DestructionArchive)
                    await ArchiveAsync(job, cancellationToken);
                else
                    await DestroyAsync(job, cancellationToken);
                count++;
            }
        }

        if (count > 0)
            logger.LogInformation("Destroyed {Count} expired jobs", count);
        return count;
    }

    /// <summary>On start-up: every job left QUEUED or EXECUTING is taken up again or settled.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var active = await jobs.InPhasesAsync(JobPhases.Reconciled, cancellationToken);
        // Jobs a manager had started first: a surviving runner takes its concurrency slot before waiting jobs are resubmitted.
        foreach (var job in active.OrderBy(j => j.ManagerJobId is null).ThenBy(j => j.CreationTime))
        {
            try
            {
                await ManagerOf(job).ReconcileAsync(job, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Job {JobId}: reconcile failed", job.Id);
            }
        }

        if (active.Count > 0)
            logger.LogInformation("Reconciled {Count} jobs left active by the previous run", active.Count);
    }

    /// <summary>
    /// At every sweep: active jobs whose owning server process died are taken over by the start-up rules
    /// (several processes on one database: no need to wait for one to restart); a live owner's are left alone.
    /// </summary>
    public async Task TakeOverAsync(CancellationToken cancellationToken = default)
    {
        var active = await jobs.InPhasesAsync(JobPhases.Reconciled, cancellationToken);
        foreach (var job in active.OrderBy(j => j.ManagerJobId is null).ThenBy(j => j.CreationTime))
        {
            // A job of a manager this process does not run is another process's to watch.
            if (FindManager(job.Manager) is not { } manager)
                continue;
            try
            {
                await manager.TakeOverAsync(job, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Job {JobId}: take-over failed", job.Id);
            }
        }
    }

    /// <summary>
    /// At every sweep: a job still EXECUTING well past its execution duration (its runner or its watcher is gone,
    /// its end could not be written) is stopped and ends in ERROR. Its manager's own limit normally comes first;
    /// this is the backstop, after the manager's <see cref="IJobManager.TimeLimitGrace"/>.
    /// </summary>
    public async Task<int> EnforceTimeLimitsAsync(CancellationToken cancellationToken = default)
    {
        var count = 0;
        var now = Now;
        foreach (var job in await jobs.LongRunningAsync(now, cancellationToken))
        {
            if (FindManager(job.Manager) is not { } manager
                || job.StartTime!.Value.AddSeconds(job.ExecutionDuration) + manager.TimeLimitGrace > now)
                continue;
            logger.LogWarning("Job {JobId}: still EXECUTING {Over:F0} s past its execution duration; stopping it", job.Id,
                (now - job.StartTime.Value.AddSeconds(job.ExecutionDuration)).TotalSeconds);
            try
            {
                await manager.KillAsync(job, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Job {JobId}: could not be stopped", job.Id);
            }

            await events.FinishAsync(job.Id, JobPhase.ERROR, $"the execution duration of {job.ExecutionDuration} s was reached; the job was stopped", cancellationToken: cancellationToken);
            count++;
        }

        return count;
    }

    // A job of a manager this process does not run (SLURM not configured here) finds none.
    private IJobManager? FindManager(string name) => managers.FirstOrDefault(m => m.Name == name);

    private IJobManager ManagerOf(Job job) =>
        FindManager(job.Manager)
        ?? throw new InvalidOperationException($"no job manager named '{job.Manager}'");

    private static List<JobParameter> ValidateParameters(JobDefinition definition, IReadOnlyList<KeyValuePair<string, string>> values, bool requireAll)
    {
        var result = new List<JobParameter>();
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            var parameter = definition.FindParameter(name)
                ?? throw new OpusValidationException($"unknown parameter '{name}'; '{definition.Name}' takes: {ParameterList(definition)}");
            if (!given.Add(parameter.Name))
                throw new OpusValidationException($"parameter '{parameter.Name}' is given more than once");
            if (value.Contains('\0'))
                throw new OpusValidationException($"parameter '{parameter.Name}': the value contains a NUL character");
            result.Add(new JobParameter(parameter.Name, ParameterValidator.Validate(parameter, value)));
        }

        if (requireAll)
        {
            var missing = definition.Parameters
                .Where(p => p.Required && p.Default is null && p.Type != ParameterTypes.File && !given.Contains(p.Name))
                .Select(p => p.Name)
                .ToList();
            if (missing.Count > 0)
                throw new OpusValidationException($"missing required parameter{(missing.Count > 1 ? "s" : "")}: {string.Join(", ", missing)}");
        }

        return result;
    }

    private static string ParameterList(JobDefinition definition) =>
        definition.Parameters.Count + definition.Used.Count == 0
            ? "no parameters"
            : string.Join(", ", definition.Parameters.Select(p => p.Name).Concat(definition.Used.Select(u => u.Name)));

    private int ClampDuration(int seconds)
    {
        if (seconds < 0)
            throw new OpusValidationException($"EXECUTIONDURATION: {seconds} is negative; give seconds, 0 for no limit");
        var max = options.MaxExecutionDuration;
        return max > 0 && (seconds == 0 || seconds > max) ? max : seconds;
    }

    private DateTime ClampDestruction(DateTime? requested, DateTime creation)
    {
        var limit = creation + options.MaxLifetime;
        if (requested is not { } value)
            return creation + options.DefaultLifetime;
        value = value.ToUniversalTime();
        if (value <= Now)
            throw new OpusValidationException($"DESTRUCTION: {UwsTime.Format(value)} is in the past");
        return value > limit ? limit : value;
    }

    private async Task RequireQuotaAsync(Caller caller, string? owner, CancellationToken cancellationToken)
    {
        // Anonymous callers (owner null) share one quota: their jobs all count as one user's.
        if (options.MaxActiveJobsPerUser > 0 && !caller.IsAdmin
            && await jobs.CountActiveAsync(owner, cancellationToken) >= options.MaxActiveJobsPerUser)
            throw new OpusStateException($"quota reached: at most {options.MaxActiveJobsPerUser} active jobs {(owner is null ? "for all anonymous callers together" : "per user")}; wait for one to end or abort one");
    }

    private void RequireManager(string definition, string manager)
    {
        if (FindManager(manager) is null)
            throw new OpusStateException($"job definition '{definition}' runs on the '{manager}' manager, which this server does not run (see Opus:Slurm:Enabled)");
    }

    private static void RequireUse(Caller caller, string definition)
    {
        if (!caller.MayUse(definition))
            throw new OpusStateException($"you have no role for job definition '{definition}'");
    }

    // The column holds 1024 characters (OpusDbContext); a longer tag is the caller's mistake, not a database error.
    private static void RequireRunIdLength(string? runId)
    {
        if (runId is { Length: > 1024 })
            throw new OpusValidationException($"RUNID: {runId.Length} characters; at most 1024");
    }

    /// <summary>NOTIFY=true needs someone to tell and a way to tell them.</summary>
    private void RequireNotify(bool? notify, string? owner)
    {
        if (notify != true)
            return;
        if (owner is null)
            throw new OpusValidationException("NOTIFY: sign in to be notified; an anonymous job has no one to mail");
        if (!options.Mail.Enabled)
            throw new OpusValidationException("NOTIFY: this server sends no mail (Opus:Mail:Host is not set)");
    }

    private static void RequirePending(Job job, string what)
    {
        if (job.Phase != JobPhase.PENDING)
            throw StateError(job, what);
    }

    private static OpusStateException StateError(Job job, string what) =>
        new($"job '{job.Id}' is {job.Phase}: {what}");

    /// <summary>128 random bits, base32 (26 characters of a-z and 2-7): a legal URI segment that never collides in practice.</summary>
    internal static string NewJobId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        Span<char> chars = stackalloc char[26];
        var buffer = 0;
        var bits = 0;
        var n = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[n++] = alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        chars[n++] = alphabet[(buffer << (5 - bits)) & 31];
        return new string(chars[..n]);
    }
}
