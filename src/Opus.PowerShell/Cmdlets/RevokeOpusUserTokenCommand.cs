using System.Management.Automation;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Revokes an Opus user's API token, by token name or id.</para>
/// <para type="description">The token stops working at once (servers forget cached checks within seconds). Admins may revoke anyone's tokens, users their own. Asks for confirmation unless -Confirm:$false.</para>
/// </summary>
/// <example>
/// <code>Revoke-OpusUserToken alice -Name laptop</code>
/// <para>Revokes alice's token named laptop.</para>
/// </example>
/// <example>
/// <code>Get-OpusUserToken bob | Where-Object ExpiresAt -eq $null | Revoke-OpusUserToken -Confirm:$false</code>
/// <para>Revokes every token of bob's that never expires.</para>
/// </example>
[Cmdlet(VerbsSecurity.Revoke, "OpusUserToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RevokeOpusUserTokenCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The user's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary><para type="description">The token's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("TokenId")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Revokes the token of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.RevokeToken(UserName, Name);
        if (!ShouldProcess(target, action))
            return;
        var session = UsedSession().Client;
        TryRun(ct => session.RevokeTokenAsync(UserName, Name, ct), "OpusUserToken", Name);
    }
}
