using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// Authenticates every request: HTTP Basic (user name and API token), Bearer with an API token,
/// Bearer with an OIDC JWT (handed to the JWT scheme), or anonymous when configured. Failed
/// attempts are counted per client address (the socket's, or the one a trusted proxy forwarded) and user name.
/// </summary>
public sealed class OpusAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TokenAuthentication users,
    AuthOptions options,
    FailedAttempts failures,
    PortalAccounts portals,
    Opus.Core.Operations.OpusAudit audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "Opus";
    public const string JwtSchemeName = "Oidc";
    private const string BlockedKey = "opus.blocked";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Runner callbacks carry their job's token, checked by their endpoint: not a user credential.
        if (Request.Path.StartsWithSegments("/handler"))
            return AuthenticateResult.NoResult();

        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            if (!options.AnonymousEnabled)
                return AuthenticateResult.NoResult();
            var anonymous = new Caller("anonymous", options.AnonymousRoles, Anonymous: true);
            // Anonymous is no portal: asking to act for someone is refused, not ignored.
            if (OnBehalfOf.IsAsked(Request))
                await OnBehalfOf.PrincipalAsync(Context, anonymous, portals, audit);
            return Success(anonymous, CallerExtensions.AnonymousType);
        }

        // Failures count per (client address after a trusted proxy, user name). The credential is checked even
        // when that pair is locked out: tokens are 160 random bits, so a valid one is never a lucky guess, and
        // a credential that proves valid is never refused because of anyone's failures; a failing one gets 429.
        var address = Context.Connection.RemoteIpAddress;
        var user = "";
        Caller? caller = null;
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (DecodeBasic(header[6..]) is { } basic)
            {
                user = basic.User;
                caller = await users.AuthenticateAsync(basic.Token, basic.User, Context.RequestAborted);
            }
        }
        else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header[7..].Trim();
            if (options.Oidc.Enabled && token.Count(c => c == '.') == 2)
            {
                var jwt = await Context.AuthenticateAsync(JwtSchemeName);
                if (jwt.Succeeded && OnBehalfOf.IsAsked(Request))
                    throw new Opus.Core.Jobs.OpusStateException($"{OnBehalfOf.HeaderName} is for a portal's API token, not an OIDC access token");
                if (jwt.Succeeded)
                    return AuthenticateResult.Success(new AuthenticationTicket(jwt.Principal, SchemeName));
                return Failed(address, user, jwt.Failure?.Message ?? "the bearer token is not valid");
            }

            caller = await users.AuthenticateAsync(token, cancellationToken: Context.RequestAborted);
        }

        if (caller is null)
            return Failed(address, user, "the credentials are not valid");

        // A portal acting for one of its users: the request is that user's from here on.
        if (OnBehalfOf.IsAsked(Request))
            return AuthenticateResult.Success(new AuthenticationTicket(await OnBehalfOf.PrincipalAsync(Context, caller, portals, audit), SchemeName));
        return Success(caller, SchemeName);
    }

    /// <summary>A failure is counted; past the limit for its (address, user) the answer is 429 instead of 401.</summary>
    private AuthenticateResult Failed(System.Net.IPAddress? address, string user, string reason)
    {
        if (failures.IsBlocked(address, user, out var retryAfter))
        {
            Context.Items[BlockedKey] = retryAfter;
            return AuthenticateResult.Fail("too many failed attempts from this address");
        }

        failures.Record(address, user);
        return AuthenticateResult.Fail(reason);
    }

    private AuthenticateResult Success(Caller caller, string type) =>
        AuthenticateResult.Success(new AuthenticationTicket(CallerExtensions.Principal(caller, type), SchemeName));

    private static (string User, string Token)? DecodeBasic(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Trim()));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0 ? null : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.TryGetValue(BlockedKey, out var value) && value is TimeSpan retryAfter)
        {
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await Response.WriteAsync("too many failed sign-in attempts for this user from this address; try again later\n");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"Opus\", Bearer realm=\"Opus\"";
        Response.ContentType = "text/plain; charset=utf-8";
        await Response.WriteAsync("authentication required: HTTP Basic with your user name and API token, or Authorization: Bearer\n");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        Response.ContentType = "text/plain; charset=utf-8";
        await Response.WriteAsync("not allowed\n");
    }
}
