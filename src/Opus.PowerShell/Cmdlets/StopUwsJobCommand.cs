using System.Management.Automation;
using Opus.Core.Uws;
using Opus.PowerShell.Completers;
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
[Cmdlet(VerbsLifecycle.Stop, "UwsJob", SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class StopUwsJobCommand : OpusCmdlet
{
    /// <summary><para type="description">The job id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobId")]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary><para type="description">The job's definition (job list); found from the id when absent.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    public string? Definition { get; set; }

    /// <summary><para type="description">Write the job out after aborting it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Aborts the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.StopJob(Definition, Id);
        if (!ShouldProcess(target, action))
            return;
        var session = Session;
        if (TryRun(async ct => await session.StopJobAsync(Definition ?? (await session.GetJobAsync(null, Id, ct)).Definition, Id, ct), "UwsJob", Id, out var job) && PassThru)
            WriteObject(job);
    }
}
