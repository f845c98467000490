using System.Management.Automation;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes UWS jobs: aborts them if they run, deletes their files and records.</para>
/// <para type="description">As UWS DELETE does. Stored results stay in the store while other jobs or provenance refer to them. Asks for confirmation unless -Confirm:$false.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase COMPLETED | Remove-UwsJob -Confirm:$false</code>
/// <para>Removes every completed copy job without asking.</para>
/// </example>
/// <example>
/// <code>Remove-UwsJob 3kq5xj2mgd7q4wb6ouwqdfk7ia -WhatIf</code>
/// <para>Shows what would be removed.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "UwsJob", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveUwsJobCommand : OpusCmdlet
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

    /// <summary>Removes the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = Session;
        var definition = Definition;
        if (definition is null)
        {
            if (!TryRun(ct => session.GetJobAsync(null, Id, ct), "UwsJob", Id, out var job))
                return;
            definition = job.Definition;
        }

        var (target, action) = ShouldProcessText.RemoveJob(definition, Id);
        if (ShouldProcess(target, action))
            TryRun(ct => session.RemoveJobAsync(definition, Id, ct), "UwsJob", Id);
    }
}
