using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Users;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates an Opus user with roles.</para>
/// <para type="description">Roles are "admin", "*" (every job definition) or job definition names. Admins only. A name that exists, or an externalId another user has, is an error (OpusUserExists). Give the user an API token with New-OpusUserToken, or link the account to a person at the identity provider with -ExternalId.</para>
/// </summary>
/// <example>
/// <code>New-OpusUser alice -Role copy, sleep -Email alice@obs.example | New-OpusUserToken -Name laptop</code>
/// <para>Creates a user who may run copy and sleep jobs, and issues her first token.</para>
/// </example>
/// <example>
/// <code>Import-Csv staff.csv | New-OpusUser</code>
/// <para>Creates users from a CSV file with UserName, Role and Email columns (and ExternalId, when their accounts at the identity provider are known).</para>
/// </example>
/// <example>
/// <code>New-OpusUser bob -Role copy -ExternalId 248289761001</code>
/// <para>Prepares bob's account for his first sign-in through the identity provider, where his subject (sub) is 248289761001.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "OpusUser", SupportsShouldProcess = true)]
[OutputType(typeof(User))]
public sealed class NewOpusUserCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The login name: letters, digits and . _ @ + -.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary><para type="description">Roles: admin, * or job definition names.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[] Role { get; set; } = [];

    /// <summary><para type="description">The e-mail address.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Email { get; set; }

    /// <summary><para type="description">A name for display.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? DisplayName { get; set; }

    /// <summary><para type="description">The user's subject (sub) at the OIDC identity provider, the SCIM externalId: the account is linked to that person at their first sign-in, whatever user name the provider gives.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ExternalId { get; set; }

    /// <summary><para type="description">The SLURM account the user's jobs are charged to (--account): letters, digits, _ - .</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? SlurmAccount { get; set; }

    /// <summary><para type="description">Create the user inactive (it cannot sign in until Set-OpusUser -Active $true).</para></summary>
    [Parameter]
    public SwitchParameter Disabled { get; set; }

    /// <summary>Creates the user of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var request = new UserRequest(UserName)
        {
            Roles = Role.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
            Email = Email,
            DisplayName = DisplayName,
            Active = !Disabled,
            ExternalId = ExternalId,
            SlurmAccount = SlurmAccount,
        };
        var (target, action) = ShouldProcessText.NewUser(request);
        if (!ShouldProcess(target, action))
            return;
        var session = UsedSession().Client;
        if (TryRun(ct => session.CreateUserAsync(request, ct), "OpusUser", UserName, out var user))
            WriteObject(user);
    }
}
