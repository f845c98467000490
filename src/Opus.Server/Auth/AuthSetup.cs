using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.IdentityModel.Tokens;
using Opus.Core;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>Registers authentication (API tokens, OIDC JWTs, anonymous when configured, the web sign-in by OIDC redirect) and the default: every endpoint needs a caller.</summary>
public static class AuthSetup
{
    public static IServiceCollection AddOpusAuth(this IServiceCollection services, AuthOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<FailedAttempts>();
        var authentication = services.AddAuthentication(OpusAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, OpusAuthenticationHandler>(OpusAuthenticationHandler.SchemeName, _ => { });
        if (options.Oidc.Enabled)
            authentication.AddJwtBearer(OpusAuthenticationHandler.JwtSchemeName, jwt => ConfigureJwt(jwt, options.Oidc));
        if (options.Oidc.SignInEnabled)
        {
            authentication.AddOpenIdConnect(OidcSignIn.SchemeName, oidc => OidcSignIn.Configure(oidc, options.Oidc));
            // The sign-in's state is protected by keys in the data folder, shared by the server processes that share it.
            services.AddDataProtection().SetApplicationName("Opus");
            services.AddOptions<KeyManagementOptions>().Configure<OpusOptions, ILoggerFactory>((keys, opus, loggers) =>
                keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(opus.FullDataPath, "keys")), loggers));
        }
        // The policies name no scheme: the caller is the one the authentication middleware found with the default
        // scheme (Opus), not authenticated a second time and merged into a new principal on every request.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminOnly.Policy, new AuthorizationPolicyBuilder().RequireRole(Caller.AdminRole).Build());
        // Refusals by the admin policy answer as their route group says (AdminOnly); the rest as ASP.NET Core does.
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AdminRefusals>();
        return services;
    }

    private static void ConfigureJwt(JwtBearerOptions jwt, OidcOptions oidc)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = oidc.Issuer,
            ValidateIssuer = true,
            ValidAudience = oidc.Audience,
            ValidateAudience = !string.IsNullOrEmpty(oidc.Audience),
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = oidc.UserNameClaim,
        };
        if (oidc.JwksPath is { Length: > 0 } path)
            jwt.TokenValidationParameters.IssuerSigningKeys = new JsonWebKeySet(File.ReadAllText(path)).GetSigningKeys();
        else
        {
            jwt.Authority = oidc.MetadataAuthority;
            jwt.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        }

        jwt.Events = new JwtBearerEvents
        {
            // The JWT's issuer and subject are a person; Opus works with the user linked to them (created on first use).
            OnTokenValidated = async context =>
            {
                var principal = context.Principal!;
                var name = principal.FindFirst(oidc.UserNameClaim)?.Value;
                if (string.IsNullOrEmpty(name))
                {
                    context.Fail($"the token has no '{oidc.UserNameClaim}' claim");
                    return;
                }

                var subject = principal.FindFirst("sub")?.Value;
                if (string.IsNullOrEmpty(subject))
                {
                    context.Fail("the token has no 'sub' claim");
                    return;
                }

                var users = context.HttpContext.RequestServices.GetRequiredService<ExternalIdentities>();
                Caller? caller;
                try
                {
                    caller = await users.SignInAsync(oidc.Issuer!, subject, name, principal.FindFirst("email")?.Value, oidc.DefaultRoles, context.HttpContext.RequestAborted);
                }
                catch (Opus.Core.Jobs.OpusValidationException e)
                {
                    // A name Opus cannot take (or roles it refuses): the token is no usable credential, not a bad request.
                    context.Fail(e.Message);
                    return;
                }
                catch (Opus.Core.Jobs.OpusConflictException e)
                {
                    // The name is another account's: a token that stands for nobody here.
                    context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthSetup))
                        .LogWarning("OIDC token refused: {Reason}", e.Message);
                    context.Fail(e.Message);
                    return;
                }

                if (caller is null)
                {
                    context.Fail($"user '{name}' is not active");
                    return;
                }

                context.Principal = CallerExtensions.Principal(caller, "oidc");
            },
        };
    }
}
