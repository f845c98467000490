using System.Management.Automation;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Removes Opus users and their API tokens.</para>
/// <para type="description">Jobs keep their owner's name. Admins only. Asks for confirmation unless -Confirm:$false.</para>
/// </summary>
/// <example>
/// <code>Remove-OpusUser bob</code>
/// <para>Removes bob after asking.</para>
/// </example>
/// <example>
/// <code>Get-OpusUser test-* | Remove-OpusUser -Confirm:$false</code>
/// <para>Removes every test account without asking.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "OpusUser", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveOpusUserCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The user's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary>Removes the user of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.RemoveUser(UserName);
        if (!ShouldProcess(target, action))
            return;
        var session = UsedSession().Client;
        TryRun(ct => session.RemoveUserAsync(UserName, ct), "OpusUser", UserName);
    }
}
