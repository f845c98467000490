using System.Management.Automation;
using Opus.Core.Users;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets Opus users: by name or id (wildcards allowed), or all of them.</para>
/// <para type="description">Admins see every user; others only themselves. Users never show API tokens (Get-OpusUserToken lists a user's tokens, without their secrets).</para>
/// </summary>
/// <example>
/// <code>Get-OpusUser</code>
/// <para>Every user, as a table.</para>
/// </example>
/// <example>
/// <code>Get-OpusUser a* | Where-Object Roles -contains admin</code>
/// <para>The admins whose names start with "a".</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "OpusUser")]
[OutputType(typeof(User))]
public sealed class GetOpusUserCommand : OpusCmdlet
{
    /// <summary><para type="description">User names or ids; wildcards are allowed. Every user when absent.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [SupportsWildcards]
    public string[]? UserName { get; set; }

    /// <summary>Writes the users named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = Session;
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
