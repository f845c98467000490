using System.Management.Automation;
using Opus.Core.Users;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets Opus users: by name or id (wildcards allowed), by externalId, or all of them.</para>
/// <para type="description">Admins see every user; others only themselves. Users never show API tokens (Get-OpusUserToken lists a user's tokens, without their secrets). -ExternalId finds the account linked to a person at the identity provider (SCIM externalId eq, compared exactly); finding none is an error (OpusUserNotFound).</para>
/// </summary>
/// <example>
/// <code>Get-OpusUser</code>
/// <para>Every user, as a table.</para>
/// </example>
/// <example>
/// <code>Get-OpusUser a* | Where-Object Roles -contains admin</code>
/// <para>The admins whose names start with "a".</para>
/// </example>
/// <example>
/// <code>Get-OpusUser -ExternalId 248289761001</code>
/// <para>The user linked to the subject (sub) 248289761001 at the identity provider.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "OpusUser", DefaultParameterSetName = NameSet)]
[OutputType(typeof(User))]
public sealed class GetOpusUserCommand : OpusSessionCmdlet
{
    private const string NameSet = "UserName";
    private const string ExternalIdSet = "ExternalId";

    /// <summary><para type="description">User names or ids; wildcards are allowed. Every user when absent.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [Alias("Id")]
    [SupportsWildcards]
    public string[]? UserName { get; set; }

    /// <summary><para type="description">The users' subjects (sub) at the OIDC identity provider, their SCIM externalId; compared exactly, no wildcards.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = ExternalIdSet)]
    [ValidateNotNullOrEmpty]
    public string[] ExternalId { get; set; } = [];

    /// <summary>Writes the users named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession().Client;
        if (ParameterSetName == ExternalIdSet)
        {
            foreach (var subject in ExternalId)
            {
                if (!TryRun(ct => session.FindUsersByExternalIdAsync(subject, ct), "OpusUser", subject, out var users))
                    continue;
                if (users.Count == 0)
                    WriteError(OpusError.NoUserWithExternalId(subject), subject);
                WriteObject(users, enumerateCollection: true);
            }

            return;
        }

        foreach (var name in UserName is { Length: > 0 } names ? names : ["*"])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name))
            {
                if (TryRun(ct => session.GetUserAsync(name, ct), "OpusUser", name, out var user))
                    WriteObject(user);
                continue;
            }

            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            if (TryRun(async ct =>
                {
                    var users = new List<User>();
                    await foreach (var user in session.ListUsersAsync(ct))
                        users.Add(user);
                    return users;
                }, "OpusUser", name, out var all))
                WriteObject(all.Where(u => pattern.IsMatch(u.UserName)), enumerateCollection: true);
        }
    }
}
