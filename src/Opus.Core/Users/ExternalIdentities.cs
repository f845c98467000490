using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Users;

/// <summary>
/// People signed in at an OIDC provider, and the Opus users they are: known by the token's issuer
/// and subject (<c>sub</c>), never by name alone (OIDC Core 5.7: preferred_username is not unique).
/// </summary>
public sealed class ExternalIdentities(IDbContextFactory<OpusDbContext> contexts, UserDirectory directory, TokenAuthentication authentication,
    TimeProvider time, Operations.OpusAudit audit)
{
    private DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The Opus user of a person signed in at an OIDC provider. In order: the user linked to (issuer,
    /// subject), whatever its name now; else a user an admin prepared with that subject as its SCIM
    /// externalId, linked now whatever its name; else, when no user has <paramref name="userName"/>,
    /// a new one of that name linked to the subject, with the default roles; else the user of that
    /// name if an earlier sign-in through this issuer created it before users were linked (it is
    /// linked now). Any other user of that name is someone else's:
    /// <see cref="ExternalIdentityConflictException"/>. Null when the user is inactive.
    /// </summary>
    public async Task<Caller?> SignInAsync(string issuer, string subject, string userName, string? email, IEnumerable<string> defaultRoles, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        if (string.IsNullOrEmpty(subject))
            throw new OpusValidationException("the token has no subject (sub)");
        if (subject.Length > UserFields.ExternalIdMaxLength)
            throw new OpusValidationException($"the token's subject (sub) is longer than {UserFields.ExternalIdMaxLength} characters");

        // A round either finds the user or links or creates one, which a concurrent sign-in may have
        // done first (a unique index refuses the second); the next round reads what was stored.
        for (var round = 1; ; round++)
        {
            var user = await FindOrLinkAsync(issuer, subject, userName, email, defaultRoles, cancellationToken);
            if (user is not null)
            {
                if (!user.Active)
                    return null;
                await authentication.SeenAsync(user.Id, cancellationToken);
                return new Caller(user.UserName, user.Roles);
            }

            if (round == 3)
                throw new OpusConflictException($"the Opus account of '{userName}' kept changing during the sign-in; try again");
        }
    }

    /// <summary>One round of <see cref="SignInAsync"/>: the user, or null when something was written and must be read again.</summary>
    private async Task<User?> FindOrLinkAsync(string issuer, string subject, string userName, string? email, IEnumerable<string> defaultRoles, CancellationToken cancellationToken)
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
            User user;
            try
            {
                user = await directory.InsertAsync(userName, defaultRoles,
                    u => (u.Email, u.Source, u.ExternalIssuer, u.ExternalSubject) = (email, issuer, issuer, subject), cancellationToken);
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
}
