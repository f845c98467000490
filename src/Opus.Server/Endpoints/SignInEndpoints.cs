using Microsoft.AspNetCore.Authentication;
using Opus.Core.Jobs;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// How the web client signs in: /auth/methods says what the sign-in page offers; /auth/oidc/login
/// starts the OIDC redirect, whose callback (/auth/oidc/callback) the OpenID Connect handler answers
/// (see <see cref="OidcSignIn"/>); /auth/signout ends a web sign-in by revoking its token.
/// </summary>
public static class SignInEndpoints
{
    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/auth/methods", (HttpContext context, AuthOptions auth) => TypedResults.Ok(new SignInMethods(true,
            auth.Oidc.SignInEnabled ? new OidcSignInMethod(auth.Oidc.DisplayName, $"{context.Request.PathBase}/auth/oidc/login") : null))).AllowAnonymous();
        app.MapGet("/auth/oidc/login", Login).AllowAnonymous();
        // Reached only when sign-in by redirect is off: otherwise the handler answers the callback first.
        app.MapGet(OidcSignIn.CallbackPath, IResult () => throw NotConfigured()).AllowAnonymous();
        app.MapPost("/auth/signout", SignOut).AllowAnonymous();
    }

    private static async Task Login(HttpContext context, AuthOptions auth, ILoggerFactory loggers)
    {
        if (!auth.Oidc.SignInEnabled)
            throw NotConfigured();
        OidcSignIn.NoStore(context);
        try
        {
            await context.ChallengeAsync(OidcSignIn.SchemeName);
        }
        catch (InvalidOperationException e)
        {
            // The provider's discovery document could not be read (IDX20803 and friends).
            loggers.CreateLogger(typeof(SignInEndpoints)).LogWarning("OIDC sign-in not started: {Reason}", e.Message);
            OidcSignIn.BackToSignIn(context, "unavailable");
        }
    }

    private static async Task<IResult> SignOut(HttpContext context, Opus.Core.Users.TokenAuthentication users, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header[7..].Trim() is { Length: > 0 } secret)
            await users.RevokeBySecretAsync(secret, OidcSignIn.TokenName, ct);
        return Results.NoContent();
    }

    private static OpusNotFoundException NotConfigured() =>
        new("sign-in by OIDC redirect is not configured on this server (Opus:Auth:Oidc:ClientId)");
}

/// <summary>What the sign-in page offers: a pasted token always, the provider's redirect when configured.</summary>
public sealed record SignInMethods(bool Token, OidcSignInMethod? Oidc);

public sealed record OidcSignInMethod(string Name, string Url);
