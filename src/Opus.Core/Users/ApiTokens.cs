using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// A user's API tokens, managed by the user themselves or an admin. Stored as SHA-256 only; the
/// secret is shown once, when issued.
/// </summary>
public sealed class ApiTokens(IDbContextFactory<OpusDbContext> contexts, UserDirectory directory, TokenAuthentication authentication,
    TimeProvider time, Operations.OpusAudit audit)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>Issues a token; the returned secret is the only copy there will ever be.</summary>
    public async Task<(User Owner, ApiToken Token, string Secret)> IssueAsync(Caller caller, string idOrName, string tokenName, DateTime? expiresAt = null,
        CancellationToken cancellationToken = default)
    {
        var user = await OwnerAsync(caller, idOrName, cancellationToken);
        if (string.IsNullOrWhiteSpace(tokenName) || tokenName.Length > 64)
            throw new OpusValidationException("token name: give 1 to 64 characters");
        if (expiresAt is { } expiry && expiry.ToUniversalTime() <= Now)
            throw new OpusValidationException($"token expiry {UwsTime.Format(expiry)} is in the past");
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
        return (user, token, secret);
    }

    public async Task<(User Owner, List<ApiToken> Tokens)> ListAsync(Caller caller, string idOrName, CancellationToken cancellationToken = default)
    {
        var user = await OwnerAsync(caller, idOrName, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (user, await db.Tokens.AsNoTracking().Where(t => t.UserId == user.Id).OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken));
    }

    /// <summary>A token of the user by id or name (the newest of that name).</summary>
    public async Task<ApiToken> GetAsync(Caller caller, string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default) =>
        (await ListAsync(caller, idOrName, cancellationToken)).Tokens.LastOrDefault(t => t.Id == tokenIdOrName || t.Name == tokenIdOrName)
        ?? throw new OpusNotFoundException($"user '{idOrName}' has no token '{Shorten(tokenIdOrName)}'");

    /// <summary>Revokes a token of the user, by token id or name.</summary>
    public async Task RevokeAsync(Caller caller, string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default)
    {
        var user = await OwnerAsync(caller, idOrName, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Tokens
            .Where(t => t.UserId == user.Id && (t.Id == tokenIdOrName || t.Name == tokenIdOrName) && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, Now), cancellationToken);
        if (changed == 0)
            throw new OpusNotFoundException($"user '{user.UserName}' has no active token '{Shorten(tokenIdOrName)}'");
        authentication.Forget();
        audit.TokenRevoked(tokenIdOrName, user.UserName);
    }

    /// <summary>Deletes the user's expired or revoked tokens of that name (web sign-ins would pile up otherwise).</summary>
    public async Task PruneAsync(Caller caller, string idOrName, string tokenName, CancellationToken cancellationToken = default)
    {
        var user = await OwnerAsync(caller, idOrName, cancellationToken);
        var now = Now;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Tokens
            .Where(t => t.UserId == user.Id && t.Name == tokenName && (t.RevokedAt != null || (t.ExpiresAt != null && t.ExpiresAt <= now)))
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The user whose tokens the caller manages: themselves, or anyone for an admin. Anyone else's,
    /// existing or not, is refused alike, so the answer tells nothing of other accounts.
    /// </summary>
    private async Task<User> OwnerAsync(Caller caller, string idOrName, CancellationToken cancellationToken)
    {
        var user = await directory.FindAsync(idOrName, cancellationToken);
        if (!caller.MayActFor(user?.UserName ?? idOrName) || (user is null && !caller.IsAdmin))
            throw new OpusStateException("you may manage your own API tokens only");
        return user ?? throw new OpusNotFoundException($"no user '{idOrName}'");
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";
}
