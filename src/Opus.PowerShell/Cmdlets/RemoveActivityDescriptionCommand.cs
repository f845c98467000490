using System.Management.Automation;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Withdraws job definitions: no new jobs; existing jobs and every stored version stay.</para>
/// <para type="description">Admins only. Asks for confirmation unless -Confirm:$false.</para>
/// </summary>
/// <example>
/// <code>Remove-ActivityDescription old-pipeline -Confirm:$false</code>
/// <para>Withdraws one definition without asking.</para>
/// </example>
/// <example>
/// <code>Get-ActivityDescription test-* | Remove-ActivityDescription -WhatIf</code>
/// <para>Shows which definitions would be withdrawn.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "ActivityDescription", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveActivityDescriptionCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">Definition names.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary>Withdraws the definitions named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession().Client;
        foreach (var name in Name)
        {
            var (target, action) = ShouldProcessText.RemoveDefinition(name);
            if (ShouldProcess(target, action))
                TryRun(ct => session.RemoveDefinitionAsync(name, ct), "ActivityDescription", name);
        }
    }
}
