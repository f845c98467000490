using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// The directory of users and their roles: the one user store, faced by SCIM over HTTP and by the
/// *-OpusUser cmdlets. Admins manage it; anyone else sees only their own entry (others are "not found").
/// </summary>
public sealed class UserDirectory(IDbContextFactory<OpusDbContext> contexts, TokenAuthentication authentication, TimeProvider time, Operations.OpusAudit audit)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<User> CreateAsync(Caller caller, string userName, string? displayName = null, string? email = null, IEnumerable<string>? roles = null,
        bool active = true, string? externalId = null, CancellationToken cancellationToken = default, string? slurmAccount = null, bool notifyOnJobEnd = false)
    {
        caller.RequireAdmin("create users");
        // An externalId is linked to an issuer at the first sign-in of this subject.
        var user = await InsertAsync(userName, roles ?? [],
            u => (u.DisplayName, u.Email, u.Active, u.ExternalSubject, u.SlurmAccount, u.NotifyOnJobEnd) =
                (displayName, email, active, UserFields.CheckExternalId(externalId), UserFields.CheckSlurmAccount(slurmAccount), notifyOnJobEnd), cancellationToken);
        audit.UserCreated(userName, user.Roles);
        return user;
    }

    /// <summary>
    /// Adds a new user of that name and roles, described further by <paramref name="describe"/>; a user of
    /// that name, or (for one not yet linked) of that externalId, is a conflict.
    /// </summary>
    internal async Task<User> InsertAsync(string userName, IEnumerable<string> roles, Action<User> describe, CancellationToken cancellationToken)
    {
        UserFields.CheckUserName(userName);
        var now = Now;
        var user = new User { Id = Guid.NewGuid().ToString("N"), UserName = userName, Roles = UserFields.CheckRoles(roles), CreatedAt = now, ModifiedAt = now };
        describe(user);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Users.AnyAsync(u => u.UserName == user.UserName, cancellationToken))
            throw new OpusConflictException($"a user named '{user.UserName}' exists");
        // An externalId set by an admin is unique among all users (a linked user's is unique per issuer, by the index).
        if (user is { ExternalIssuer: null, ExternalSubject: { } subject } && await db.Users.AnyAsync(u => u.ExternalSubject == subject, cancellationToken))
            throw new OpusConflictException($"another user has the externalId '{subject}'");
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            throw new OpusConflictException(user.ExternalSubject is null
                ? $"a user named '{user.UserName}' exists"
                : $"a user named '{user.UserName}' or with the externalId '{user.ExternalSubject}' exists");
        }

        return user;
    }

    /// <summary>By id or by user name, whoever asks: for the server's own use (start-up, opening a session as a user).</summary>
    public async Task<User?> FindAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken);
    }

    /// <summary>By id or by user name; a user other than the caller is "not found" unless the caller is an admin.</summary>
    public async Task<User> GetAsync(Caller caller, string idOrName, CancellationToken cancellationToken = default) =>
        await FindAsync(idOrName, cancellationToken) is { } user && caller.MayActFor(user.UserName)
            ? user
            : throw new OpusNotFoundException($"no user '{idOrName}'");

    /// <summary>
    /// A page of users ordered by name, optionally only the one with a given name and only those with a
    /// given externalId (the OIDC sub, compared exactly); with the total count.
    /// </summary>
    public async Task<(int Total, List<User> Users)> ListAsync(Caller caller, string? userName = null, int startIndex = 1, int count = 100,
        string? externalId = null, CancellationToken cancellationToken = default)
    {
        caller.RequireAdmin("list users");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking();
        if (userName is not null)
            users = users.Where(u => u.UserName == userName);
        if (externalId is not null)
            users = users.Where(u => u.ExternalSubject == externalId);
        var total = await users.CountAsync(cancellationToken);
        var page = await users.OrderBy(u => u.UserName).Skip(Math.Max(0, startIndex - 1)).Take(Math.Max(0, count)).ToListAsync(cancellationToken);
        return (total, page);
    }

    /// <summary>The user names of these ids (those that exist): the portals that created users, as SCIM shows them.</summary>
    public async Task<Dictionary<string, string>> NamesAsync(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Count == 0)
            return [];
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => wanted.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName, cancellationToken);
    }

    /// <summary>
    /// Changes what is given (null leaves a field as it is, "" clears it). A new <paramref name="externalId"/>
    /// (the OIDC sub) unlinks the user from its issuer until that subject signs in; clearing it makes
    /// the user local, so no sign-in by name reaches it again.
    /// </summary>
    public async Task<User> UpdateAsync(Caller caller, string idOrName, string? userName = null, string? displayName = null, string? email = null,
        bool? active = null, IEnumerable<string>? roles = null, string? externalId = null, CancellationToken cancellationToken = default,
        string? slurmAccount = null, bool? notifyOnJobEnd = null)
    {
        caller.RequireAdmin("change users");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken)
            ?? throw new OpusNotFoundException($"no user '{idOrName}'");
        if (userName is not null && userName != user.UserName)
        {
            UserFields.CheckUserName(userName);
            if (await db.Users.AnyAsync(u => u.UserName == userName, cancellationToken))
                throw new OpusConflictException($"a user named '{userName}' exists");
            user.UserName = userName;
        }

        if (displayName is not null)
            user.DisplayName = displayName.Length == 0 ? null : displayName;
        if (email is not null)
            user.Email = email.Length == 0 ? null : email;
        if (active is { } isActive)
            user.Active = isActive;
        if (roles is not null)
            user.Roles = UserFields.CheckRoles(roles);
        if (slurmAccount is not null)
            user.SlurmAccount = UserFields.CheckSlurmAccount(slurmAccount);
        if (notifyOnJobEnd is { } notify)
            user.NotifyOnJobEnd = notify;
        if (externalId is not null && UserFields.CheckExternalId(externalId) is var subject && subject != user.ExternalSubject)
        {
            if (subject is not null && await db.Users.AnyAsync(u => u.Id != user.Id && u.ExternalSubject == subject, cancellationToken))
                throw new OpusConflictException($"another user has the externalId '{subject}'");
            user.ExternalIssuer = null;
            user.ExternalSubject = subject;
            if (subject is null)
                user.Source = "local";
        }

        if (db.ChangeTracker.HasChanges())
            user.ModifiedAt = Now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            throw new OpusConflictException($"a user named '{user.UserName}' or with the externalId '{user.ExternalSubject}' exists");
        }

        authentication.Forget();
        audit.UserUpdated(user.UserName, user.Active, user.Roles);
        return user;
    }

    /// <summary>Removes the user and its tokens; jobs keep their owner's name.</summary>
    public async Task DeleteAsync(Caller caller, string idOrName, CancellationToken cancellationToken = default)
    {
        caller.RequireAdmin("remove users");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken)
            ?? throw new OpusNotFoundException($"no user '{idOrName}'");
        await db.Tokens.Where(t => t.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        db.Users.Remove(user);
        await db.SaveChangesAsync(cancellationToken);
        authentication.Forget();
        audit.UserDeleted(user.UserName);
    }

    /// <summary>
    /// On first start: when no admin exists, creates one with the given token (or a new one) and
    /// returns the token so the caller can show it once; null when an admin exists.
    /// </summary>
    public async Task<string?> EnsureAdminAsync(string userName, string? token, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Select(u => u.Roles).ToListAsync(cancellationToken);
        if (users.Any(roles => roles.Contains(Caller.AdminRole)))
            return null;

        // Checked before anything is written: a refused token must not leave an admin without one.
        if (token is { Length: > 0 and < 20 })
            throw new OpusValidationException("Opus:Auth:AdminToken must be at least 20 characters");

        var admin = await FindAsync(userName, cancellationToken)
            ?? await CreateAsync(Caller.System, userName, "Administrator", null, [Caller.AdminRole], cancellationToken: cancellationToken);
        if (!admin.Roles.Contains(Caller.AdminRole))
            await UpdateAsync(Caller.System, admin.Id, roles: admin.Roles.Append(Caller.AdminRole), cancellationToken: cancellationToken);
        var (name, secret) = token is { Length: > 0 } ? ("configured", token) : ("first-start", TokenFormat.NewToken());
        db.Tokens.Add(new ApiToken { Id = Guid.NewGuid().ToString("N"), UserId = admin.Id, Name = name, Hash = TokenFormat.Hash(secret), CreatedAt = Now });
        await db.SaveChangesAsync(cancellationToken);
        audit.TokenIssued(name, admin.UserName);
        return secret;
    }
}
