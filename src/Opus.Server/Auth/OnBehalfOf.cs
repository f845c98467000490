using System.Security.Claims;
using Opus.Core.Jobs;
using Opus.Core.Operations;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// A portal's request on behalf of one of its users (header <see cref="HeaderName"/>): authentication answers with that
/// user (see <see cref="PortalAccounts"/>), the portal's name kept beside it (<see cref="PortalClaim"/>) for the access
/// log; each such request is also in the audit trail with both names. Every endpoint (UWS, the client API, the event
/// stream) then sees that user, as if they had called themselves. Part of authentication, not a later step, so that
/// the authorization policies, which authenticate again, see the same user.
/// </summary>
public static class OnBehalfOf
{
    public const string HeaderName = "X-Opus-On-Behalf-Of";
    public const string PortalClaim = "opus:portal";

    /// <summary>Whether the request asks to act on behalf of someone.</summary>
    public static bool IsAsked(HttpRequest request) => request.Headers.ContainsKey(HeaderName);

    /// <summary>The principal of the user the portal acts as; 403 for a caller that is no portal, 400 for a bad name.</summary>
    public static async Task<ClaimsPrincipal> PrincipalAsync(HttpContext context, Caller portal, PortalAccounts portals, OpusAudit audit)
    {
        // A token issued there would act as the user without the portal's name in the log: the portal keeps the credentials.
        if (context.Request.Path.StartsWithSegments("/users"))
            throw new OpusStateException($"{HeaderName}: a portal may not manage the tokens of the users it acts for");
        var values = context.Request.Headers[HeaderName];
        if (values.Count != 1)
            throw new OpusValidationException($"{HeaderName}: give one user name");
        var user = await portals.ActAsAsync(portal, values[0] ?? "", context.RequestAborted);
        var principal = CallerExtensions.Principal(user, OpusAuthenticationHandler.SchemeName);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(PortalClaim, portal.UserName));
        audit.ActedOnBehalf(portal.UserName, user.UserName, context.Request.Method, $"{context.Request.PathBase}{context.Request.Path}");
        return principal;
    }
}
