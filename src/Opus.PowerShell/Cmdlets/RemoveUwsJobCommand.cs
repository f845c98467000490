using System.Management.Automation;
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
[Cmdlet(VerbsCommon.Remove, "UwsJob", DefaultParameterSetName = IdSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveUwsJobCommand : UwsJobCmdlet
{
    /// <summary>Removes the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = JobSession();
        if (!TryRun(ct => DefinitionAsync(session.Client, ct), "UwsJob", JobId, out var definition))
            return;
        var (target, action) = ShouldProcessText.RemoveJob(definition, JobId);
        if (ShouldProcess(target, action))
            TryRun(ct => session.Client.RemoveJobAsync(definition, JobId, ct), "UwsJob", JobId);
    }
}
