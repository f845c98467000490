using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Opus.Core.Jobs;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// How the web client signs in: /auth/methods says what the sign-in page offers; /auth/oidc/login
/// and /auth/oidc/callback run the OIDC redirect (see <see cref="OidcSignIn"/>); /auth/signout
/// ends a web sign-in by revoking its token. The callback hands the new token to the client in a
/// cookie scoped to /client/ that lives two minutes and that the client deletes as it reads it: the
/// token never appears in a URL, so never in a history, a log or a Referer.
/// </summary>
public static partial class SignInEndpoints
{
    private const string FlowCookie = "opus.oidc";
    private const string HandoffCookie = "opus.signin";

    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/auth/methods", (HttpContext context) =>
        {
            var oidc = context.RequestServices.GetService<OidcSignIn>();
            return Results.Text(new JsonObject
            {
                ["token"] = true,
                ["oidc"] = oidc is null ? null : new JsonObject { ["name"] = oidc.DisplayName, ["url"] = $"{context.Request.PathBase}/auth/oidc/login" },
            }.ToJsonString(), "application/json");
        }).AllowAnonymous();
        app.MapGet("/auth/oidc/login", Login).AllowAnonymous();
        app.MapGet(OidcSignIn.CallbackPath, Callback).AllowAnonymous();
        app.MapPost("/auth/signout", SignOut).AllowAnonymous();
    }

    private static async Task<IResult> Login(HttpContext context, AuthOptions auth, ILoggerFactory loggers, CancellationToken ct)
    {
        var signIn = Configured(context);
        var redirectUri = RedirectUri(context, auth.Oidc);
        Uri url;
        SignInFlow flow;
        try
        {
            (url, flow) = await signIn.StartAsync(redirectUri, ct);
        }
        catch (InvalidOperationException e)
        {
            // The provider's discovery document could not be read (IDX20803 and friends).
            loggers.CreateLogger(typeof(SignInEndpoints)).LogWarning("OIDC sign-in not started: {Reason}", e.Message);
            return Problem(context, "unavailable");
        }

        context.Response.Cookies.Append(FlowCookie, flow.ToCookie(), new CookieOptions
        {
            HttpOnly = true,
            Secure = IsSecure(context, redirectUri),
            // Lax: the cookie must come back on the provider's top-level redirect to the callback.
            SameSite = SameSiteMode.Lax,
            Path = $"{context.Request.PathBase}/auth/oidc",
            MaxAge = TimeSpan.FromMinutes(10),
            IsEssential = true,
        });
        NoStore(context);
        return Results.Redirect(url.AbsoluteUri);
    }

    private static async Task<IResult> Callback(HttpContext context, AuthOptions auth, ILoggerFactory loggers, CancellationToken ct)
    {
        var signIn = Configured(context);
        var logger = loggers.CreateLogger(typeof(SignInEndpoints));
        var redirectUri = RedirectUri(context, auth.Oidc);
        var secure = IsSecure(context, redirectUri);
        var query = context.Request.Query;
        NoStore(context);

        // One use only: whatever happens next, this flow is over.
        var flow = SignInFlow.FromCookie(context.Request.Cookies[FlowCookie]);
        context.Response.Cookies.Delete(FlowCookie, new CookieOptions { Path = $"{context.Request.PathBase}/auth/oidc", Secure = secure, HttpOnly = true, SameSite = SameSiteMode.Lax });
        if (flow is null || !OidcSignIn.FixedTimeEquals(query["state"].ToString(), flow.State))
            return Problem(context, "expired");

        // RFC 9207: a provider that names itself must be ours (a mix-up attack sends another's code here).
        if (query["iss"].ToString() is { Length: > 0 } iss && iss != auth.Oidc.Issuer)
        {
            logger.LogWarning("OIDC sign-in refused: the answer came from issuer {Issuer}, not the configured one", iss);
            return Problem(context, "failed");
        }

        if (query["error"].ToString() is { Length: > 0 } error)
        {
            logger.LogInformation("The OIDC provider refused a sign-in: {Error}", ErrorCode().IsMatch(error) ? error : "(malformed)");
            return Problem(context, "provider", ErrorCode().IsMatch(error) ? error : null);
        }

        if (query["code"].ToString() is not { Length: > 0 } code)
            return Problem(context, "failed");

        string token;
        try
        {
            (_, token) = await signIn.FinishAsync(flow, code, redirectUri, ct);
        }
        catch (SignInException e)
        {
            logger.LogWarning("OIDC sign-in failed: {Reason}", e.Message);
            return Problem(context, e.Code);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("OIDC sign-in failed: {Reason}", e.Message);
            return Problem(context, "unavailable");
        }

        context.Response.Cookies.Append(HandoffCookie, token, new CookieOptions
        {
            // Read (and deleted) by the client's script, so not HttpOnly; sent to nothing but the client's static files.
            HttpOnly = false,
            Secure = secure,
            SameSite = SameSiteMode.Strict,
            Path = $"{context.Request.PathBase}/client/",
            MaxAge = TimeSpan.FromMinutes(2),
            IsEssential = true,
        });
        return Results.Redirect($"{context.Request.PathBase}/client/#/signin?oidc=done");
    }

    private static async Task<IResult> SignOut(HttpContext context, Opus.Core.Users.TokenAuthentication users, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header[7..].Trim() is { Length: > 0 } secret)
            await users.RevokeBySecretAsync(secret, OidcSignIn.TokenName, ct);
        return Results.NoContent();
    }

    private static OidcSignIn Configured(HttpContext context) =>
        context.RequestServices.GetService<OidcSignIn>()
        ?? throw new OpusNotFoundException("sign-in by OIDC redirect is not configured on this server (Opus:Auth:Oidc:ClientId)");

    private static string RedirectUri(HttpContext context, OidcOptions oidc) =>
        oidc.RedirectUri is { Length: > 0 } configured
            ? configured
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{OidcSignIn.CallbackPath}";

    private static bool IsSecure(HttpContext context, string redirectUri) =>
        context.Request.IsHttps || redirectUri.StartsWith("https:", StringComparison.OrdinalIgnoreCase);

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        // The callback's URL holds the code: it must not leak to the next page's requests.
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>Back to the sign-in page, which turns the code into a message (never text from the URL).</summary>
    private static IResult Problem(HttpContext context, string code, string? providerError = null)
    {
        var target = $"{context.Request.PathBase}/client/#/signin?problem={code}";
        if (providerError is not null)
            target += $"&error={Uri.EscapeDataString(providerError)}";
        return Results.Redirect(target);
    }

    // RFC 6749 error codes are ASCII words; anything else is not shown or logged as is.
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex ErrorCode();
}
