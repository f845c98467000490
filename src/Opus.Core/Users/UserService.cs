using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// Users, roles and API tokens: the one user store, faced by SCIM over HTTP and by the
/// *-OpusUser cmdlets. Tokens are stored as SHA-256 only and shown once, when issued.
/// </summary>
public sealed partial class UserService(IDbContextFactory<OpusDbContext> contexts, TimeProvider time, Operations.OpusAudit audit)
{
    // Token checks are cached briefly so a request costs no query; every change here empties the cache.
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (Caller Caller, string UserId, DateTime Until)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _lastSeenWritten = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _lastUsedWritten = new(StringComparer.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")]
    private static partial Regex UserNamePattern();

    // The form of a user id: a user name of that form would make lookups by id or name ambiguous.
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^(admin|\\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")]
    private static partial Regex RolePattern();

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    public async Task<User> CreateAsync(string userName, string? displayName = null, string? email = null, IEnumerable<string>? roles = null,
        bool active = true, string source = "local", string? externalId = null, CancellationToken cancellationToken = default)
    {
        CheckUserName(userName);
        var now = Now;
        var user = new User
        {
            Id = Guid.NewGuid().ToString("N"),
            UserName = userName,
            DisplayName = displayName,
            Email = email,
            Active = active,
            Roles = CheckRoles(roles ?? []),
            CreatedAt = now,
            ModifiedAt = now,
            Source = source,
            // Linked to an issuer at the first sign-in of this subject.
            ExternalSubject = CheckExternalId(externalId),
        };
        await InsertAsync(user, cancellationToken);
        audit.UserCreated(userName, user.Roles);
        return user;
    }

    private async Task InsertAsync(User user, CancellationToken cancellationToken)
    {
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
    }

    /// <summary>By id or by user name.</summary>
    public async Task<User?> FindAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken);
    }

    public async Task<User> GetAsync(string idOrName, CancellationToken cancellationToken = default) =>
        await FindAsync(idOrName, cancellationToken) ?? throw new OpusNotFoundException($"no user '{idOrName}'");

    /// <summary>
    /// A page of users ordered by name, optionally only the one with a given name and only those with a
    /// given externalId (the OIDC sub, compared exactly); with the total count.
    /// </summary>
    public async Task<(int Total, List<User> Users)> ListAsync(string? userName = null, int startIndex = 1, int count = 100,
        string? externalId = null, CancellationToken cancellationToken = default)
    {
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

    /// <summary>Changes what is given (null leaves a field as it is).</summary>
    public Task<User> UpdateAsync(string idOrName, string? userName = null, string? displayName = null, string? email = null,
        bool? active = null, IEnumerable<string>? roles = null, CancellationToken cancellationToken = default) =>
        UpdateAsync(idOrName, userName, displayName, email, active, roles, null, cancellationToken);

    /// <summary>
    /// Changes what is given (null leaves a field as it is, "" clears it). A new <paramref name="externalId"/>
    /// (the OIDC sub) unlinks the user from its issuer until that subject signs in; clearing it makes
    /// the user local, so no sign-in by name reaches it again.
    /// </summary>
    public async Task<User> UpdateAsync(string idOrName, string? userName, string? displayName, string? email,
        bool? active, IEnumerable<string>? roles, string? externalId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken)
            ?? throw new OpusNotFoundException($"no user '{idOrName}'");
        if (userName is not null && userName != user.UserName)
        {
            CheckUserName(userName);
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
            user.Roles = CheckRoles(roles);
        if (externalId is not null && CheckExternalId(externalId) is var subject && subject != user.ExternalSubject)
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

        _tokens.Clear();
        audit.UserUpdated(user.UserName, user.Active, user.Roles);
        return user;
    }

    /// <summary>Removes the user and its tokens; jobs keep their owner's name.</summary>
    public async Task DeleteAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken)
            ?? throw new OpusNotFoundException($"no user '{idOrName}'");
        await db.Tokens.Where(t => t.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        db.Users.Remove(user);
        await db.SaveChangesAsync(cancellationToken);
        _tokens.Clear();
        audit.UserDeleted(user.UserName);
    }

    /// <summary>Issues a token; the returned secret is the only copy there will ever be.</summary>
    public async Task<(ApiToken Token, string Secret)> IssueTokenAsync(string idOrName, string tokenName, DateTime? expiresAt = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(tokenName) || tokenName.Length > 64)
            throw new OpusValidationException("token name: give 1 to 64 characters");
        if (expiresAt is { } expiry && expiry.ToUniversalTime() <= Now)
            throw new OpusValidationException($"token expiry {UwsTime.Format(expiry)} is in the past");
        var user = await GetAsync(idOrName, cancellationToken);
        var secret = TokenFormat.NewToken();
        var token = new ApiToken
        {
            Id = Guid.NewGuid().ToString("N"),
            UserId = user.Id,
            Name = tokenName,
            Hash = TokenFormat.Hash(secret),
            CreatedAt = Now,
            ExpiresAt = expiresAt?.ToUniversalTime(),
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Tokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        audit.TokenIssued(tokenName, user.UserName);
        return (token, secret);
    }

    public async Task<List<ApiToken>> TokensAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var user = await GetAsync(idOrName, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Tokens.AsNoTracking().Where(t => t.UserId == user.Id).OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>Revokes a token of the user, by token id or name.</summary>
    public async Task RevokeTokenAsync(string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default)
    {
        var user = await GetAsync(idOrName, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Tokens
            .Where(t => t.UserId == user.Id && (t.Id == tokenIdOrName || t.Name == tokenIdOrName) && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, Now), cancellationToken);
        if (changed == 0)
            throw new OpusNotFoundException($"user '{user.UserName}' has no active token '{tokenIdOrName}'");
        _tokens.Clear();
        audit.TokenRevoked(tokenIdOrName, user.UserName);
    }

    /// <summary>Deletes the user's expired or revoked tokens of that name (web sign-ins would pile up otherwise).</summary>
    public async Task PruneTokensAsync(string idOrName, string tokenName, CancellationToken cancellationToken = default)
    {
        var user = await GetAsync(idOrName, cancellationToken);
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Tokens
            .Where(t => t.UserId == user.Id && t.Name == tokenName && (t.RevokedAt != null || (t.ExpiresAt != null && t.ExpiresAt <= now)))
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Revokes the token with this secret if it has that name (a sign-out ends a web sign-in, never an API token); true when one was revoked.</summary>
    public async Task<bool> RevokeBySecretAsync(string secret, string tokenName, CancellationToken cancellationToken = default)
    {
        var hash = TokenFormat.Hash(secret);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Tokens
            .Where(t => t.Hash == hash && t.Name == tokenName && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, Now), cancellationToken);
        _tokens.Clear();
        return changed > 0;
    }

    /// <summary>
    /// The caller a token stands for, or null when the token is unknown, revoked, expired, or its
    /// user inactive; with HTTP Basic, the given user name must be the token's.
    /// </summary>
    public async Task<Caller?> AuthenticateAsync(string secret, string? userName = null, CancellationToken cancellationToken = default)
    {
        var hash = TokenFormat.Hash(secret);
        var now = Now;
        if (!_tokens.TryGetValue(hash, out var cached) || cached.Until < now)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var found = await db.Tokens.AsNoTracking()
                .Where(t => t.Hash == hash && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now))
                .Join(db.Users.Where(u => u.Active), t => t.UserId, u => u.Id, (t, u) => new { u.Id, u.UserName, u.Roles, t.ExpiresAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (found is null)
                return null;
            var until = found.ExpiresAt is { } expires && expires < now + CacheLifetime ? expires : now + CacheLifetime;
            cached = (new Caller(found.UserName, found.Roles), found.Id, until);
            _tokens[hash] = cached;
        }

        if (userName is not null && userName != cached.Caller.UserName)
            return null;
        await TouchAsync(cached.UserId, now, cancellationToken);
        await TouchTokenAsync(hash, now, cancellationToken);
        return cached.Caller;
    }

    /// <summary>
    /// The Opus user of a person signed in at an OIDC provider, known by the token's issuer and
    /// subject (<c>sub</c>), never by name alone (OIDC Core 5.7: preferred_username is not unique).
    /// In order: the user linked to (issuer, subject), whatever its name now; else a user an admin
    /// prepared with that subject as its SCIM externalId, linked now whatever its name; else, when no
    /// user has <paramref name="userName"/>, a new one of that name linked to the subject, with the
    /// default roles; else the user of that name if an earlier sign-in through this issuer created
    /// it before users were linked (it is linked now). Any other user of that name is someone
    /// else's: <see cref="ExternalIdentityConflictException"/>. Null when the user is inactive.
    /// </summary>
    public async Task<Caller?> ExternalAsync(string issuer, string subject, string userName, string? email, IEnumerable<string> defaultRoles, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        if (string.IsNullOrEmpty(subject))
            throw new OpusValidationException("the token has no subject (sub)");
        if (subject.Length > ExternalIdMaxLength)
            throw new OpusValidationException($"the token's subject (sub) is longer than {ExternalIdMaxLength} characters");

        // A round either finds the user or links or creates one, which a concurrent sign-in may have
        // done first (a unique index refuses the second); the next round reads what was stored.
        for (var round = 1; ; round++)
        {
            var user = await ExternalUserAsync(issuer, subject, userName, email, defaultRoles, cancellationToken);
            if (user is not null)
            {
                if (!user.Active)
                    return null;
                await TouchAsync(user.Id, Now, cancellationToken);
                return new Caller(user.UserName, user.Roles);
            }

            if (round == 3)
                throw new OpusConflictException($"the Opus account of '{userName}' kept changing during the sign-in; try again");
        }
    }

    /// <summary>One round of <see cref="ExternalAsync"/>: the user, or null when something was written and must be read again.</summary>
    private async Task<User?> ExternalUserAsync(string issuer, string subject, string userName, string? email, IEnumerable<string> defaultRoles, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var linked = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.ExternalIssuer == issuer && u.ExternalSubject == subject, cancellationToken);
        if (linked is not null)
            return linked;

        // An account an admin prepared for this person (SCIM externalId = sub): theirs, whatever its name.
        var prepared = await db.Users.AsNoTracking().Where(u => u.ExternalIssuer == null && u.ExternalSubject == subject)
            .Select(u => new { u.Id, u.UserName }).Take(2).ToListAsync(cancellationToken);
        if (prepared.Count > 1)
            throw new ExternalIdentityConflictException($"users {prepared[0].UserName} and {prepared[1].UserName} have the same externalId; an admin must clear one");
        if (prepared is [var mine])
        {
            await LinkAsync(db, mine.Id, mine.UserName, issuer, subject, legacy: false, cancellationToken);
            return null;
        }

        var named = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        if (named is null)
        {
            CheckUserName(userName);
            var now = Now;
            var user = new User
            {
                Id = Guid.NewGuid().ToString("N"),
                UserName = userName,
                Email = email,
                Roles = CheckRoles(defaultRoles),
                CreatedAt = now,
                ModifiedAt = now,
                Source = issuer,
                ExternalIssuer = issuer,
                ExternalSubject = subject,
            };
            try
            {
                await InsertAsync(user, cancellationToken);
            }
            catch (OpusConflictException)
            {
                return null;
            }

            audit.UserCreated(userName, user.Roles);
            return user;
        }

        // Created by a sign-in through this issuer before users were linked: the first subject to claim the name takes it.
        if (named is { ExternalIssuer: null, ExternalSubject: null } && named.Source == issuer)
        {
            await LinkAsync(db, named.Id, named.UserName, issuer, subject, legacy: true, cancellationToken);
            return null;
        }

        throw new ExternalIdentityConflictException(
            $"the user name '{userName}' given by {issuer} belongs to another Opus account (a local one, or one linked to another person); an admin can link them through the SCIM externalId");
    }

    /// <summary>Links a user to (issuer, subject) if it is still unlinked as it was read.</summary>
    private async Task LinkAsync(OpusDbContext db, string userId, string userName, string issuer, string subject, bool legacy, CancellationToken cancellationToken)
    {
        var users = legacy
            ? db.Users.Where(u => u.Id == userId && u.ExternalIssuer == null && u.ExternalSubject == null && u.Source == issuer)
            : db.Users.Where(u => u.Id == userId && u.ExternalIssuer == null && u.ExternalSubject == subject);
        var now = Now;
        int changed;
        try
        {
            // A prepared user's externalId is already the subject: only a legacy user shows a change.
            changed = legacy
                ? await users.ExecuteUpdateAsync(set => set.SetProperty(u => u.ExternalIssuer, issuer).SetProperty(u => u.ExternalSubject, subject).SetProperty(u => u.ModifiedAt, now), cancellationToken)
                : await users.ExecuteUpdateAsync(set => set.SetProperty(u => u.ExternalIssuer, issuer), cancellationToken);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException)
        {
            // Another user was linked to this subject meanwhile: the next round finds it.
            return;
        }

        if (changed > 0)
            audit.UserLinked(userName, issuer);
    }

    /// <summary>
    /// On first start: when no admin exists, creates one with the given token (or a new one) and
    /// returns the token so the caller can show it once; null when an admin exists.
    /// </summary>
    public async Task<string?> EnsureAdminAsync(string userName, string? token, CancellationToken cancellationToken = default)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var users = await db.Users.AsNoTracking().Select(u => u.Roles).ToListAsync(cancellationToken);
            if (users.Any(roles => roles.Contains(Caller.AdminRole)))
                return null;
        }

        // Checked before anything is written: a refused token must not leave an admin without one.
        if (token is { Length: > 0 and < 20 })
            throw new OpusValidationException("Opus:Auth:AdminToken must be at least 20 characters");

        var admin = await FindAsync(userName, cancellationToken)
            ?? await CreateAsync(userName, "Administrator", null, [Caller.AdminRole], cancellationToken: cancellationToken);
        if (!admin.Roles.Contains(Caller.AdminRole))
            await UpdateAsync(admin.Id, roles: admin.Roles.Append(Caller.AdminRole), cancellationToken: cancellationToken);
        if (token is { Length: > 0 })
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.Tokens.Add(new ApiToken { Id = Guid.NewGuid().ToString("N"), UserId = admin.Id, Name = "configured", Hash = TokenFormat.Hash(token), CreatedAt = Now });
            await db.SaveChangesAsync(cancellationToken);
            return token;
        }

        return (await IssueTokenAsync(admin.Id, "first-start", cancellationToken: cancellationToken)).Secret;
    }

    private async Task TouchAsync(string userId, DateTime now, CancellationToken cancellationToken)
    {
        // Last-seen is kept to the minute: no write per request.
        if (_lastSeenWritten.TryGetValue(userId, out var last) && now - last < TimeSpan.FromMinutes(1))
            return;
        _lastSeenWritten[userId] = now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.LastSeenAt, now), cancellationToken);
    }

    /// <summary>A token's last use (GET /users/{name}/tokens shows it), kept to the minute like last-seen.</summary>
    private async Task TouchTokenAsync(string hash, DateTime now, CancellationToken cancellationToken)
    {
        if (_lastUsedWritten.TryGetValue(hash, out var last) && now - last < TimeSpan.FromMinutes(1))
            return;
        _lastUsedWritten[hash] = now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Tokens.Where(t => t.Hash == hash).ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedAt, now), cancellationToken);
    }

    private static void CheckUserName(string userName)
    {
        if (!UserNamePattern().IsMatch(userName ?? ""))
            throw new OpusValidationException($"user name '{userName}': 1-128 letters, digits or . _ @ + -, starting with a letter or digit");
        if (IdPattern().IsMatch(userName ?? ""))
            throw new OpusValidationException($"user name '{userName}': 32 hexadecimal digits is the form of a user id; choose another name");
    }

    /// <summary>The longest externalId: an OIDC sub has at most 255 ASCII characters (OIDC Core 2).</summary>
    public const int ExternalIdMaxLength = 255;

    /// <summary>A SCIM externalId, or null for none ("" clears).</summary>
    private static string? CheckExternalId(string? externalId)
    {
        if (string.IsNullOrEmpty(externalId))
            return null;
        if (externalId.Length > ExternalIdMaxLength || string.IsNullOrWhiteSpace(externalId) || externalId.Any(char.IsControl))
            throw new OpusValidationException($"externalId: 1 to {ExternalIdMaxLength} characters, no control characters (the user's OIDC sub at the identity provider)");
        return externalId;
    }

    private static List<string> CheckRoles(IEnumerable<string> roles)
    {
        var list = roles.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (list.FirstOrDefault(r => !RolePattern().IsMatch(r)) is { } bad)
            throw new OpusValidationException($"role '{bad}': use admin, * or a job definition name");
        return list;
    }
}
