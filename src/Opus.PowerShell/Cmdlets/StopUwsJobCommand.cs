using System.Management.Automation;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Aborts UWS jobs (PHASE=ABORT).</para>
/// <para type="description">A job that has not ended goes to ABORTED and its processes are stopped (SIGTERM, then SIGKILL after the grace period). Aborting a job that has ended is an error (UwsJobNotAllowed).</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Definition sleep -Phase EXECUTING | Stop-UwsJob</code>
/// <para>Aborts every running sleep job.</para>
/// </example>
/// <example>
/// <code>Stop-UwsJob 3kq5xj2mgd7q4wb6ouwqdfk7ia -WhatIf</code>
/// <para>Shows what would be aborted.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "UwsJob", DefaultParameterSetName = IdSet, SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class StopUwsJobCommand : UwsJobCmdlet
{
    /// <summary><para type="description">Write the job out after aborting it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Aborts the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.StopJob(KnownDefinition, JobId);
        if (!ShouldProcess(target, action))
            return;
        var session = JobSession();
        if (TryRun(async ct => await session.Client.StopJobAsync(await DefinitionAsync(session.Client, ct), JobId, ct), "UwsJob", JobId, out var job) && PassThru)
            WriteFrom(session, job);
    }
}
