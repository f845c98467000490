using System.Management.Automation;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Starts PENDING UWS jobs (PHASE=RUN).</para>
/// <para type="description">Each job is queued and run by the session's job manager. A job already on its way is left as it is; a job that has ended cannot be started again.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase PENDING | Start-UwsJob</code>
/// <para>Starts every pending copy job.</para>
/// </example>
/// <example>
/// <code>Start-UwsJob -Id 3kq5xj2mgd7q4wb6ouwqdfk7ia -PassThru</code>
/// <para>Starts one job and writes it out.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "UwsJob", DefaultParameterSetName = IdSet, SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class StartUwsJobCommand : UwsJobCmdlet
{
    /// <summary><para type="description">Write the job out after starting it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Starts the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.StartJob(KnownDefinition, JobId);
        if (!ShouldProcess(target, action))
            return;
        var session = JobSession();
        if (TryRun(async ct => await session.Client.StartJobAsync(await DefinitionAsync(session.Client, ct), JobId, ct), "UwsJob", JobId, out var job) && PassThru)
            WriteFrom(session, job);
    }
}
