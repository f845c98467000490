using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Opus.Core.Jobs;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// Password-less sign-in for the web client: ASP.NET Core's OpenID Connect handler runs the code
/// flow (PKCE, state, nonce, code exchange, ID-token checks, userinfo) at /auth/oidc/login (a
/// challenge) and /auth/oidc/callback. Its events replace the cookie session it would start by an
/// ordinary Opus API token named <see cref="TokenName"/>, with a short lifetime, handed to the client
/// in a cookie scoped to /client/: Opus stays token-based. The flow's correlation and nonce live in
/// short-lived HttpOnly cookies and its state is protected by the data-protection keys in the data
/// folder, so any server process sharing that folder can finish a sign-in another one started.
/// </summary>
public static partial class OidcSignIn
{
    public const string SchemeName = "OidcSignIn";
    public const string TokenName = "web sign-in";
    public const string CallbackPath = "/auth/oidc/callback";

    public static void Configure(OpenIdConnectOptions handler, OidcOptions oidc)
    {
        handler.ClientId = oidc.ClientId;
        handler.ClientSecret = string.IsNullOrEmpty(oidc.ClientSecret) ? null : oidc.ClientSecret;
        handler.CallbackPath = CallbackPath;
        handler.ResponseType = OpenIdConnectResponseType.Code;
        handler.ResponseMode = OpenIdConnectResponseMode.Query;
        handler.UsePkce = true;
        // The authorization URL carries the request as it always did (no pushed authorization request).
        handler.PushedAuthorizationBehavior = PushedAuthorizationBehavior.Disable;
        handler.Scope.Clear();
        foreach (var scope in oidc.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            handler.Scope.Add(scope);
        handler.GetClaimsFromUserInfoEndpoint = true;
        handler.ClaimActions.MapUniqueJsonKey(oidc.UserNameClaim, oidc.UserNameClaim);
        handler.MapInboundClaims = false;
        handler.DisableTelemetry = true;
        // Only the code flow's two paths: no remote sign-out, no signed-out callback.
        handler.RemoteSignOutPath = default;
        handler.SignedOutCallbackPath = default;

        // Discovery with plain http only for a provider on this machine, refused when read (not a crash at the first request).
        handler.Backchannel = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        handler.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
            $"{oidc.MetadataAuthority}/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(handler.Backchannel) { RequireHttps = oidc.RequireHttpsMetadata });
        handler.TokenValidationParameters = new TokenValidationParameters
        {
            // The audience is the client id (the handler's default).
            ValidIssuer = oidc.Issuer,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        if (oidc.JwksPath is { Length: > 0 } path)
            handler.TokenValidationParameters.IssuerSigningKeys = new JsonWebKeySet(File.ReadAllText(path)).GetSigningKeys();

        // The flow's cookies: back on the provider's top-level redirect (Lax), gone after ten minutes.
        var secure = oidc.RedirectUri?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        handler.RemoteAuthenticationTimeout = TimeSpan.FromMinutes(10);
        handler.ProtocolValidator.NonceLifetime = TimeSpan.FromMinutes(10);
        handler.CorrelationCookie.Name = "opus.oidc.correlation.";
        handler.NonceCookie.Name = "opus.oidc.nonce.";
        foreach (var cookie in new[] { handler.CorrelationCookie, handler.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = secure;
        }

        handler.Events = new OpenIdConnectEvents
        {
            // Behind a TLS proxy: the redirect URI registered at the provider, also sent with the code.
            OnRedirectToIdentityProvider = context =>
            {
                if (oidc.RedirectUri is { Length: > 0 } configured)
                    context.ProtocolMessage.RedirectUri = configured;
                return Task.CompletedTask;
            },
            // RFC 9207: the handler (10.0) does not read the authorization response's iss. A provider that names
            // itself must be ours: a mix-up attack sends another provider's answer here.
            OnMessageReceived = context =>
            {
                if (context.ProtocolMessage.Iss is { Length: > 0 } iss && iss != oidc.Issuer)
                    context.Fail(new SignInException("failed", $"the answer came from issuer {iss}, not the configured one"));
                return Task.CompletedTask;
            },
            OnTicketReceived = context => IssueTokenAsync(context, oidc),
            OnRemoteFailure = context =>
            {
                var failure = context.Failure!;
                var providerError = context.Request.Query["error"].ToString();
                var shownError = ErrorCode().IsMatch(providerError) ? providerError : null;
                var (code, reason) = failure switch
                {
                    SignInException e => (e.Code, e.Message),
                    _ when Unreachable(failure) => ("unavailable", failure.Message),
                    // The handler's own refusals: no correlation cookie of this flow, no readable state.
                    AuthenticationFailureException => ("expired", failure.Message),
                    // The provider's error on the redirect (the token endpoint's errors are failures).
                    OpenIdConnectProtocolException when providerError.Length > 0 =>
                        ("provider", $"the provider refused: {shownError ?? "(malformed)"}"),
                    _ => ("failed", failure.Message),
                };
                Logger(context.HttpContext).LogWarning("OIDC sign-in failed ({Code}): {Reason}", code, reason);
                BackToSignIn(context.HttpContext, code, code == "provider" ? shownError : null);
                context.HandleResponse();
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// After the handler's checks: the person is the issuer's sub (OIDC Core 2: never reassigned), the name only
    /// names a new account. Finds or creates the Opus user and hands the client a web sign-in token; no cookie session.
    /// </summary>
    private static async Task IssueTokenAsync(TicketReceivedContext context, OidcOptions oidc)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var principal = context.Principal!;
        // The handler's protocol validator requires sub in the ID token, and userinfo's to be the same.
        var subject = principal.FindFirst("sub")!.Value;
        var name = principal.FindFirst(oidc.UserNameClaim)?.Value;
        if (string.IsNullOrEmpty(name))
        {
            Refuse(http, "claim", $"the provider gave no '{oidc.UserNameClaim}' claim");
            return;
        }

        var users = http.RequestServices.GetRequiredService<ExternalIdentities>();
        var tokens = http.RequestServices.GetRequiredService<ApiTokens>();
        Caller? caller;
        try
        {
            caller = await users.SignInAsync(oidc.Issuer!, subject, name, principal.FindFirst("email")?.Value, oidc.DefaultRoles, http.RequestAborted);
        }
        catch (OpusValidationException e)
        {
            Refuse(http, "failed", $"the provider's user name '{name}' cannot be an Opus user: {e.Message}");
            return;
        }
        catch (ExternalIdentityConflictException e)
        {
            Refuse(http, "taken", e.Message);
            return;
        }
        catch (OpusConflictException e)
        {
            Refuse(http, "failed", e.Message);
            return;
        }

        if (caller is null)
        {
            Refuse(http, "inactive", $"user '{name}' is not active");
            return;
        }

        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var (_, _, secret) = await tokens.IssueAsync(caller, caller.UserName, TokenName, now + oidc.SessionLifetime, http.RequestAborted);
        await tokens.PruneAsync(caller, caller.UserName, TokenName, http.RequestAborted);
        Logger(http).LogInformation("User {UserName} signed in through {Issuer}", caller.UserName, oidc.Issuer);

        // The token never appears in a URL (so never in a history, a log or a Referer): a cookie the client's
        // script reads and deletes, sent to nothing but the client's static files, living two minutes.
        http.Response.Cookies.Append("opus.signin", secret, new CookieOptions
        {
            HttpOnly = false,
            Secure = http.Request.IsHttps || oidc.RedirectUri?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true,
            SameSite = SameSiteMode.Strict,
            Path = $"{http.Request.PathBase}/client/",
            MaxAge = TimeSpan.FromMinutes(2),
            IsEssential = true,
        });
        NoStore(http);
        http.Response.Redirect($"{http.Request.PathBase}/client/#/signin?oidc=done");
    }

    private static void Refuse(HttpContext http, string code, string reason)
    {
        Logger(http).LogWarning("OIDC sign-in failed ({Code}): {Reason}", code, reason);
        BackToSignIn(http, code);
    }

    /// <summary>Back to the sign-in page, which turns the code into a message (never text from the URL).</summary>
    public static void BackToSignIn(HttpContext http, string code, string? providerError = null)
    {
        var target = $"{http.Request.PathBase}/client/#/signin?problem={code}";
        if (providerError is not null)
            target += $"&error={Uri.EscapeDataString(providerError)}";
        NoStore(http);
        http.Response.Redirect(target);
    }

    public static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        // The callback's URL holds the code: it must not leak to the next page's requests.
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>The provider did not answer (discovery, token or userinfo endpoint): a network error or a time-out.</summary>
    public static bool Unreachable(Exception? failure)
    {
        for (; failure is not null; failure = failure.InnerException)
        {
            if (failure is HttpRequestException or TaskCanceledException or IOException)
                return true;
        }

        return false;
    }

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn));

    // RFC 6749 error codes are ASCII words; anything else is not shown or logged as is.
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ErrorCode();
}

/// <summary>A sign-in that did not succeed; <see cref="Code"/> tells the client which message to show.</summary>
public sealed class SignInException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
