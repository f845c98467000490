using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Users;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes an Opus user's roles, active state, e-mail address, display name, externalId, SLURM account or notice preference.</para>
/// <para type="description">Only what is given changes; -Role replaces the roles. An empty -Email, -DisplayName, -ExternalId or -SlurmAccount clears it. -SlurmAccount is the account the user's SLURM jobs are charged to (sbatch --account), unless a job sets its own slurm_account. Deactivating a user stops its tokens from working. A new -ExternalId links the account to that subject at its next sign-in through the identity provider; clearing it unlinks the account. Admins only.</para>
/// </summary>
/// <example>
/// <code>Set-OpusUser alice -Role copy, sleep, calibrate</code>
/// <para>Gives alice three definitions.</para>
/// </example>
/// <example>
/// <code>Get-OpusUser intern-* | Set-OpusUser -Active $false</code>
/// <para>Deactivates every intern account.</para>
/// </example>
/// <example>
/// <code>Set-OpusUser alice -SlurmAccount astro-lab</code>
/// <para>Charges alice's SLURM jobs to the account astro-lab, so fair-share and accounting follow her.</para>
/// </example>
/// <example>
/// <code>Set-OpusUser alice -Email alice@example.org -NotifyOnJobEnd $true</code>
/// <para>Mails alice whenever one of her jobs ends (COMPLETED, ERROR or ABORTED), with the job's link.</para>
/// </example>
/// <example>
/// <code>Set-OpusUser alice -ExternalId ''</code>
/// <para>Unlinks alice from her account at the identity provider: only her API tokens sign her in.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "OpusUser", SupportsShouldProcess = true)]
[OutputType(typeof(User))]
public sealed class SetOpusUserCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The user's name or id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = "";

    /// <summary><para type="description">The new roles (replacing the old ones): admin, * or job definition names.</para></summary>
    [Parameter]
    public string[]? Role { get; set; }

    /// <summary><para type="description">$true to activate, $false to deactivate.</para></summary>
    [Parameter]
    public bool? Active { get; set; }

    /// <summary><para type="description">The new e-mail address ('' clears it).</para></summary>
    [Parameter]
    public string? Email { get; set; }

    /// <summary><para type="description">The new display name ('' clears it).</para></summary>
    [Parameter]
    public string? DisplayName { get; set; }

    /// <summary><para type="description">The new externalId, the user's subject (sub) at the OIDC identity provider ('' clears it).</para></summary>
    [Parameter]
    public string? ExternalId { get; set; }

    /// <summary><para type="description">The SLURM account the user's jobs are charged to (--account): letters, digits, _ - . ('' clears it).</para></summary>
    [Parameter]
    public string? SlurmAccount { get; set; }

    /// <summary><para type="description">$true to mail the user (their e-mail address) when one of their jobs ends, unless the job was created with NOTIFY=false; $false to stop. The server needs Opus:Mail:Host.</para></summary>
    [Parameter]
    public bool? NotifyOnJobEnd { get; set; }

    /// <summary><para type="description">Write the user out after changing it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Changes the user of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var roles = Role?.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        var changes = new UserChanges(roles, Active, Email, DisplayName, ExternalId, SlurmAccount, NotifyOnJobEnd);
        var (target, action) = ShouldProcessText.SetUser(UserName, changes);
        if (!ShouldProcess(target, action))
            return;
        var session = UsedSession().Client;
        if (TryRun(ct => session.UpdateUserAsync(UserName, changes, ct), "OpusUser", UserName, out var user) && PassThru)
            WriteObject(user);
    }
}
