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
public sealed partial class UserService(IDbContextFactory<OpusDbContext> contexts, TimeProvider time, ILogger<UserService> logger)
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
        bool active = true, string source = "local", CancellationToken cancellationToken = default)
    {
        CheckUserName(userName);
        var user = new User
        {
            Id = Guid.NewGuid().ToString("N"),
            UserName = userName,
            DisplayName = displayName,
            Email = email,
            Active = active,
            Roles = CheckRoles(roles ?? []),
            CreatedAt = Now,
            Source = source,
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Users.AnyAsync(u => u.UserName == userName, cancellationToken))
            throw new OpusConflictException($"a user named '{userName}' exists");
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new OpusConflictException($"a user named '{userName}' exists");
        }

        logger.LogInformation("User {UserName} created with roles {Roles}", userName, string.Join(",", user.Roles));
        return user;
    }

    /// <summary>By id or by user name.</summary>
    public async Task<User?> FindAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == idOrName || u.UserName == idOrName, cancellationToken);
    }

    public async Task<User> GetAsync(string idOrName, CancellationToken cancellationToken = default) =>
        await FindAsync(idOrName, cancellationToken) ?? throw new OpusNotFoundException($"no user '{idOrName}'");

    /// <summary>A page of users ordered by name, optionally only the one with a given name; with the total count.</summary>
    public async Task<(int Total, List<User> Users)> ListAsync(string? userName = null, int startIndex = 1, int count = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking();
        if (userName is not null)
            users = users.Where(u => u.UserName == userName);
        var total = await users.CountAsync(cancellationToken);
        var page = await users.OrderBy(u => u.UserName).Skip(Math.Max(0, startIndex - 1)).Take(Math.Max(0, count)).ToListAsync(cancellationToken);
        return (total, page);
    }

    /// <summary>Changes what is given (null leaves a field as it is).</summary>
    public async Task<User> UpdateAsync(string idOrName, string? userName = null, string? displayName = null, string? email = null,
        bool? active = null, IEnumerable<string>? roles = null, CancellationToken cancellationToken = default)
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
        await db.SaveChangesAsync(cancellationToken);
        _tokens.Clear();
        logger.LogInformation("User {UserName} updated: active {Active}, roles {Roles}", user.UserName, user.Active, string.Join(",", user.Roles));
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
        logger.LogInformation("User {UserName} deleted", user.UserName);
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
        logger.LogInformation("Token {TokenName} issued to {UserName}", tokenName, user.UserName);
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
        logger.LogInformation("Token {TokenName} of {UserName} revoked", tokenIdOrName, user.UserName);
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

    /// <summary>An OIDC user: found by name, or created on first use with the configured roles.</summary>
    public async Task<Caller?> ExternalAsync(string userName, string? email, string issuer, IEnumerable<string> defaultRoles, CancellationToken cancellationToken = default)
    {
        // By name only: a token naming some user's id must not sign in as that user.
        async Task<User?> ByNameAsync()
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.UserName == userName, cancellationToken);
        }

        var user = await ByNameAsync();
        if (user is null)
        {
            try
            {
                user = await CreateAsync(userName, null, email, defaultRoles, true, issuer, cancellationToken);
            }
            catch (OpusConflictException)
            {
                user = await ByNameAsync() ?? throw new OpusNotFoundException($"no user '{userName}'");
            }
        }

        if (!user.Active)
            return null;
        await TouchAsync(user.Id, Now, cancellationToken);
        return new Caller(user.UserName, user.Roles);
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

    private static List<string> CheckRoles(IEnumerable<string> roles)
    {
        var list = roles.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (list.FirstOrDefault(r => !RolePattern().IsMatch(r)) is { } bad)
            throw new OpusValidationException($"role '{bad}': use admin, * or a job definition name");
        return list;
    }
}
