using Opus.Core.Jobs;

namespace Opus.Core.Users;

/// <summary>Who makes a request, and what they may do: the one input to every permission check.</summary>
public sealed record Caller(string UserName, IReadOnlyCollection<string> Roles, bool Anonymous = false)
{
    public const string AdminRole = "admin";

    /// <summary>The server itself (start-up, maintenance, a local PowerShell session): may do everything.</summary>
    public static readonly Caller System = new("system", [AdminRole]);

    public bool IsAdmin => Roles.Contains(AdminRole);

    /// <summary>Roles granting every definition: "*", and "all" as OPUS's user roles say it.</summary>
    public static readonly string[] EveryDefinitionRoles = ["*", "all"];

    /// <summary>May use every definition: admin, or one of <see cref="EveryDefinitionRoles"/>.</summary>
    public bool MayUseEvery => IsAdmin || EveryDefinitionRoles.Any(Roles.Contains);

    /// <summary>May create and run jobs of the definition (role granting it, "*" or "all", or admin).</summary>
    public bool MayUse(string definition) => MayUseEvery || Roles.Contains(definition);

    /// <summary>Jobs are visible to their owner and to admins only; jobs without an owner to anonymous callers.</summary>
    public bool MayRead(string? owner) => IsAdmin || (owner is null ? Anonymous : owner == UserName && !Anonymous);

    /// <summary>An account's own data (its tokens, its directory entry): the user themselves or an admin.</summary>
    public bool MayActFor(string userName) => IsAdmin || (!Anonymous && userName == UserName);

    /// <summary>Refuses (403) what only admins may do.</summary>
    public void RequireAdmin(string what)
    {
        if (!IsAdmin)
            throw new OpusStateException($"only admins may {what}");
    }
}
