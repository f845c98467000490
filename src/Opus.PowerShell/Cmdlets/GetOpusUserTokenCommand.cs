using System.Management.Automation;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Lists an Opus user's API tokens: names, creation, expiry, revocation and last use; never their secrets.</para>
/// <para type="description">Admins may list anyone's tokens, users their own.</para>
/// </summary>
/// <example>
/// <code>Get-OpusUserToken alice | Where-Object RevokedAt -eq $null</code>
/// <para>Alice's tokens that are not revoked.</para>
/// </example>
/// <example>
/// <code>Get-OpusUser | Get-OpusUserToken</code>
/// <para>Every user's tokens.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "OpusUserToken")]
[OutputType(typeof(UserToken))]
public sealed class GetOpusUserTokenCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The user's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary>Writes the tokens of the user of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession().Client;
        if (TryRun(ct => session.ListTokensAsync(UserName, ct), "OpusUserToken", UserName, out var tokens))
            WriteObject(tokens, enumerateCollection: true);
    }
}
