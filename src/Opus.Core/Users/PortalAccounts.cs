using Microsoft.EntityFrameworkCore;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// Portals: accounts with the role <see cref="PortalRole"/> that act on behalf of their own users (the header
/// X-Opus-On-Behalf-Of). A name is created at its first use, with the portal's definition roles (never admin, never
/// portal), and marked as that portal's: only that portal may act as it, and no portal may act as any user it did not create.
/// </summary>
public sealed class PortalAccounts(IDbContextFactory<OpusDbContext> contexts, UserDirectory directory, Operations.OpusAudit audit)
{
    public const string PortalRole = "portal";

    /// <summary>The caller a portal's request acts as: the user <paramref name="userName"/>, created now if it is new.</summary>
    public async Task<Caller> ActAsAsync(Caller portal, string userName, CancellationToken cancellationToken = default)
    {
        if (portal.Anonymous || !portal.Roles.Contains(PortalRole))
            throw new OpusStateException($"only a portal account (role '{PortalRole}') may act on behalf of another user");
        UserFields.CheckUserName(userName);

        // A round finds the user or creates it, which a concurrent first request may have done first.
        for (var round = 1; ; round++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var found = await db.Users.AsNoTracking().Where(u => u.UserName == portal.UserName || u.UserName == userName)
                .Select(u => new { u.Id, u.UserName, u.Roles, u.Active, u.CreatedByPortalId }).ToListAsync(cancellationToken);
            var portalId = found.FirstOrDefault(u => u.UserName == portal.UserName)?.Id
                ?? throw new OpusStateException($"the portal account '{portal.UserName}' is not in the user directory");
            var user = found.FirstOrDefault(u => u.UserName == userName && u.Id != portalId);
            if (user is null && userName != portal.UserName)
            {
                User created;
                try
                {
                    created = await directory.InsertAsync(userName, DefinitionRoles(portal.Roles), u => u.CreatedByPortalId = portalId, cancellationToken);
                }
                catch (OpusConflictException) when (round < 3)
                {
                    continue;
                }

                audit.PortalUserCreated(userName, portal.UserName, created.Roles);
                return new Caller(created.UserName, DefinitionRoles(created.Roles));
            }

            if (user is null || user.CreatedByPortalId != portalId)
                throw new OpusStateException($"the portal '{portal.UserName}' may not act as '{userName}': only as users it created");
            if (!user.Active)
                throw new OpusStateException($"the user '{userName}' is deactivated");
            return new Caller(user.UserName, DefinitionRoles(user.Roles));
        }
    }

    /// <summary>What a portal's user may be granted and use: the definition roles, never admin or portal.</summary>
    private static List<string> DefinitionRoles(IEnumerable<string> roles) =>
        roles.Where(r => r is not (Caller.AdminRole or PortalRole)).ToList();
}
