using System.Management.Automation;
using Opus.Core.Jobs;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Waits until UWS jobs end (COMPLETED, ERROR or ABORTED) and writes them out.</para>
/// <para type="description">Jobs from the pipeline are waited for one after the other, with a progress bar showing the phase, the time waited, and the progress the job's script reports (opus_progress), looked at every two seconds while it runs. With -Timeout, a job still running when the time is up is written in its current phase with a warning. Ctrl+C stops waiting; the jobs go on.</para>
/// </summary>
/// <example>
/// <code>New-UwsJob sleep @{ seconds = 30 } -Start | Wait-UwsJob -Timeout 120</code>
/// <para>Starts a job and waits at most two minutes for it.</para>
/// </example>
/// <example>
/// <code>Get-UwsJob -Phase EXECUTING | Wait-UwsJob | Where-Object Phase -ne COMPLETED</code>
/// <para>Waits for every running job and shows those that did not complete.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Wait, "UwsJob", DefaultParameterSetName = IdSet)]
[OutputType(typeof(UwsJob))]
public sealed class WaitUwsJobCommand : UwsJobCmdlet
{
    private const int ActivityId = 41;

    // While a job runs its document is read this often, so the bar follows the progress its script reports.
    private static readonly TimeSpan ProgressRefresh = TimeSpan.FromSeconds(2);
    private readonly List<(OpusSession Session, string? Definition, string Id)> _jobs = [];

    /// <summary><para type="description">Longest time to wait for all the jobs, in seconds; no limit when absent.</para></summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Timeout { get; set; }

    /// <summary>Collects the job of this pipeline input.</summary>
    protected override void ProcessRecord() => _jobs.Add((JobSession(), KnownDefinition, JobId));

    /// <summary>Waits for the collected jobs, one after the other.</summary>
    protected override void EndProcessing()
    {
        var started = DateTime.UtcNow;
        TimeSpan? limit = Timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        foreach (var (session, definition, id) in _jobs)
        {
            if (!TryRun(ct => session.Client.GetJobAsync(definition, id, ct), "UwsJob", id, out var job))
                continue;
            var failed = false;
            while (!job.Phase.IsFinal())
            {
                var remaining = limit is { } l ? l - (DateTime.UtcNow - started) : TimeSpan.FromSeconds(30);
                if (remaining <= TimeSpan.Zero)
                    break;
                var current = job;
                var longest = job.Phase == JobPhase.EXECUTING ? ProgressRefresh : TimeSpan.FromSeconds(30);
                var step = remaining < longest ? remaining : longest;
                WriteProgress(ActivityId, ProgressText.Wait(current, DateTime.UtcNow - started, limit, DateTime.UtcNow));
                if (!TryRun(ct => session.Client.WaitJobAsync(current.Definition, current.Id, step, ct), "UwsJob", id, out job,
                        () => WriteProgress(ActivityId, ProgressText.Wait(current, DateTime.UtcNow - started, limit, DateTime.UtcNow))))
                {
                    failed = true;
                    break;
                }
            }

            if (failed)
                continue;
            WriteProgress(ActivityId, ProgressText.Wait(job, DateTime.UtcNow - started, limit, DateTime.UtcNow), completed: true);
            if (!job.Phase.IsFinal())
                WriteWarning($"UWS job {job.Id} is still {job.Phase} after {Timeout} s");
            WriteFrom(session, job);
        }
    }
}
