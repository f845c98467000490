using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Store;

namespace Opus.Core.Execution;

/// <summary>
/// The one ingestion routine: applies runner reports (from the callback endpoint, the events file
/// or a manager's own observation) as compare-and-set phase changes. Applying a report twice
/// changes nothing the second time.
/// </summary>
public sealed class JobEvents(
    JobRepository jobs, JobWorkspace workspace, DefinitionCatalog catalog, EntityStore store, TimeProvider time, ILogger<JobEvents> logger,
    IEnumerable<IRunnerReportFilter> filters, ProvenanceRecorder provenance)
{
    private readonly IRunnerReportFilter[] _filters = filters.ToArray();

    private static readonly JobPhase[] Running = [JobPhase.QUEUED, JobPhase.EXECUTING, JobPhase.HELD, JobPhase.SUSPENDED];

    public async Task ApplyAsync(string jobId, RunnerEvent report, CancellationToken cancellationToken = default)
    {
        switch (report.Phase)
        {
            case JobPhase.EXECUTING:
                await jobs.TryTransitionAsync(jobId, [JobPhase.QUEUED, JobPhase.HELD, JobPhase.SUSPENDED], JobPhase.EXECUTING,
                    set => set.SetProperty(j => j.StartTime, report.Time), cancellationToken);
                break;
            case JobPhase.COMPLETED:
                await FinishAsync(jobId, JobPhase.COMPLETED, null, report.Time, cancellationToken);
                break;
            case JobPhase.ERROR:
                // A manager may know better why the runner was signalled (SLURM: cancelled or out of time).
                if (_filters.Length > 0 && await jobs.FindAsync(jobId, cancellationToken) is { } job && _filters.Any(f => f.TakesOver(job, report)))
                    break;
                await FinishAsync(jobId, JobPhase.ERROR, DescribeFailure(jobId, report.ExitCode), report.Time, cancellationToken);
                break;
        }
    }

    /// <summary>Applies every report of the job's events file, in order; true when the job is final afterwards.</summary>
    public async Task<bool> ApplyEventsFileAsync(string jobId, CancellationToken cancellationToken = default)
    {
        foreach (var report in RunnerEvent.ReadFile(workspace.EventsPath(jobId)))
            await ApplyAsync(jobId, report, cancellationToken);
        var job = await jobs.FindAsync(jobId, cancellationToken);
        return job is null || job.Phase.IsFinal();
    }

    /// <summary>
    /// Ends an active job in a final phase with its results. If the job already ended (an abort or
    /// a time limit won the race), only the results it produced are added.
    /// </summary>
    public async Task FinishAsync(string jobId, JobPhase phase, string? errorMessage, DateTime? endTime = null, CancellationToken cancellationToken = default)
    {
        var job = await jobs.FindAsync(jobId, cancellationToken);
        if (job is null)
            return;
        var end = endTime ?? time.GetUtcNow().UtcDateTime;
        var results = job.Phase.IsFinal() && job.Results.Count > 0 ? job.Results : await CollectResultsAsync(job, cancellationToken);
        // The job's provenance is written in the same transaction as its final phase: no one sees one without the other.
        var rows = Running.Contains(job.Phase) ? await provenance.PrepareAsync(job, phase, end, results, cancellationToken) : null;
        var finished = await jobs.TryTransitionAsync(jobId, Running, phase, set =>
        {
            set.SetProperty(j => j.EndTime, end);
            set.SetProperty(j => j.Results, results);
            if (phase == JobPhase.ERROR)
            {
                set.SetProperty(j => j.ErrorMessage, errorMessage ?? "the job failed");
                set.SetProperty(j => j.ErrorType, "fatal");
            }
        }, rows is null ? null : provenance.InTransition(rows), cancellationToken);
        if (finished)
        {
            logger.LogInformation("Job {JobId} {Phase}", jobId, phase);
            if (rows is null)
                await provenance.TryRecordAsync(jobId, cancellationToken);
            return;
        }

        if (results.Count > 0)
        {
            var now = await jobs.FindAsync(jobId, cancellationToken);
            if (now is { Results.Count: 0 } && now.Phase.IsFinal()
                && await jobs.TryUpdateAsync(jobId, [now.Phase], set => set.SetProperty(j => j.Results, results), cancellationToken))
                await provenance.TryRecordAsync(jobId, cancellationToken);
        }
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

    /// <summary>Moves the generated files of the job's working directory into the store.</summary>
    private async Task<List<JobResult>> CollectResultsAsync(Job job, CancellationToken cancellationToken)
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
                // A link could point anywhere on the server: only plain files inside work/ are results.
                if (!full.StartsWith(root, StringComparison.Ordinal) || info.LinkTarget is not null || !info.Exists)
                    continue;
                index++;
                var relative = full[root.Length..];
                try
                {
                    var (sha, size) = await store.AddFileAsync(full, cancellationToken);
                    var id = files.Count == 1 ? generated.Name : $"{generated.Name}_{index}";
                    var contentType = generated.ContentType ?? MediaTypes.Guess(relative);
                    // The first job to produce this content is its generator; a later identical result is a re-generation.
                    await store.RegisterAsync(sha, size, Path.GetFileName(relative), contentType, job.Owner, (job.Id, job.Definition, id), cancellationToken);
                    results.Add(new JobResult(id, relative, sha, size, contentType));
                }
                catch (IOException e)
                {
                    logger.LogWarning("Job {JobId}: result {File} could not be stored: {Reason}", job.Id, relative, e.Message);
                }
            }
        }

        return results;
    }
}
