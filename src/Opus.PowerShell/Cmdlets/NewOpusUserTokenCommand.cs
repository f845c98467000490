using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Issues an API token to an Opus user; its secret is shown this once.</para>
/// <para type="description">The token object's Secret is the token itself: store it now (e.g. in a secret vault), it cannot be shown again; Opus keeps only its SHA-256. Admins may issue tokens to anyone, users to themselves. Use it with Connect-OpusServer -Credential (user name and token).</para>
/// </summary>
/// <example>
/// <code>$token = New-OpusUserToken alice -Name laptop -Expires (Get-Date).AddDays(90); $token.Secret</code>
/// <para>Issues a token valid for 90 days and shows its secret.</para>
/// </example>
/// <example>
/// <code>New-OpusUser bob -Role copy | New-OpusUserToken -Name ci</code>
/// <para>Creates a user and its first token.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "OpusUserToken", SupportsShouldProcess = true)]
[OutputType(typeof(UserToken))]
public sealed class NewOpusUserTokenCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The user's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary><para type="description">A name for the token (1-64 characters), to recognize and revoke it.</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateLength(1, 64)]
    public string Name { get; set; } = "";

    /// <summary><para type="description">When the token stops working; never when absent.</para></summary>
    [Parameter]
    public DateTime? Expires { get; set; }

    /// <summary>Issues a token to the user of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (target, action) = ShouldProcessText.NewToken(UserName, Name, Expires);
        if (!ShouldProcess(target, action))
            return;
        var session = UsedSession().Client;
        if (TryRun(ct => session.IssueTokenAsync(UserName, Name, Expires, ct), "OpusUserToken", UserName, out var token))
            WriteObject(token);
    }
}
