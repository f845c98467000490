using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// Who an API token stands for, answered from a short cache so a request costs no query; every
/// change to users or tokens empties it (<see cref="Forget"/>). Also keeps the users' last-seen
/// and the tokens' last-use, each written at most once a minute.
/// </summary>
public sealed class TokenAuthentication(IDbContextFactory<OpusDbContext> contexts, TimeProvider time)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (Caller Caller, string UserId, DateTime Until)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _lastSeenWritten = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _lastUsedWritten = new(StringComparer.Ordinal);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

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
        await SeenAsync(cached.UserId, cancellationToken);
        await UsedAsync(hash, now, cancellationToken);
        return cached.Caller;
    }

    /// <summary>Revokes the token with this secret if it has that name (a sign-out ends a web sign-in, never an API token); true when one was revoked.</summary>
    public async Task<bool> RevokeBySecretAsync(string secret, string tokenName, CancellationToken cancellationToken = default)
    {
        var hash = TokenFormat.Hash(secret);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Tokens
            .Where(t => t.Hash == hash && t.Name == tokenName && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, Now), cancellationToken);
        Forget();
        return changed > 0;
    }

    /// <summary>Empties the cache: a user or token changed.</summary>
    public void Forget() => _tokens.Clear();

    /// <summary>The user's last authenticated request (SCIM shows it), kept to the minute: no write per request.</summary>
    public async Task SeenAsync(string userId, CancellationToken cancellationToken)
    {
        var now = Now;
        if (_lastSeenWritten.TryGetValue(userId, out var last) && now - last < TimeSpan.FromMinutes(1))
            return;
        _lastSeenWritten[userId] = now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.LastSeenAt, now), cancellationToken);
    }

    /// <summary>A token's last use (GET /users/{name}/tokens shows it), kept to the minute like last-seen.</summary>
    private async Task UsedAsync(string hash, DateTime now, CancellationToken cancellationToken)
    {
        if (_lastUsedWritten.TryGetValue(hash, out var last) && now - last < TimeSpan.FromMinutes(1))
            return;
        _lastUsedWritten[hash] = now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Tokens.Where(t => t.Hash == hash).ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedAt, now), cancellationToken);
    }
}
