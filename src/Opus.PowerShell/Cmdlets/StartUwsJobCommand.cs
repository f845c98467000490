using System.Management.Automation;
using Opus.Core.Uws;
using Opus.PowerShell.Completers;
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
[Cmdlet(VerbsLifecycle.Start, "UwsJob", SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class StartUwsJobCommand : OpusCmdlet
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

    /// <summary><para type="description">Write the job out after starting it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Starts the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.StartJob(Definition, Id);
        if (!ShouldProcess(target, action))
            return;
        var session = Session;
        if (TryRun(async ct => await session.StartJobAsync(Definition ?? (await session.GetJobAsync(null, Id, ct)).Definition, Id, ct), "UwsJob", Id, out var job) && PassThru)
            WriteObject(job);
    }
}
