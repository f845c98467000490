namespace Opus.Server.Auth;

/// <summary>Who may call the server (configuration section "Opus:Auth").</summary>
public sealed class AuthOptions
{
    /// <summary>Requests without credentials act as an anonymous user (for a laptop); off by default.</summary>
    public bool AnonymousEnabled { get; set; }

    /// <summary>Roles of the anonymous user, e.g. ["*"] to run every definition.</summary>
    public List<string> AnonymousRoles { get; set; } = [];

    /// <summary>The admin account created on first start.</summary>
    public string AdminUserName { get; set; } = "admin";

    /// <summary>The first admin's token (at least 20 characters); when empty a token is generated and printed once.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Failed authentications per (client address, user name) and window before that pair's failing attempts are refused (429).</summary>
    public int MaxFailures { get; set; } = 10;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>OIDC bearer tokens (JWT); disabled while Issuer is empty.</summary>
    public OidcOptions Oidc { get; set; } = new();
}

/// <summary>
/// A trusted OpenID Connect issuer: its JWT access tokens are accepted as bearer tokens, and with a
/// ClientId the web client offers password-less sign-in by redirect (authorization code with PKCE).
/// </summary>
public sealed class OidcOptions
{
    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>The issuer's JSON Web Key Set as a file (offline) ...</summary>
    public string? JwksPath { get; set; }

    /// <summary>... or its authority, whose discovery document names the JWKS.</summary>
    public string? Authority { get; set; }

    /// <summary>The claim that names the Opus user.</summary>
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>Roles given to a user created on first sign-in.</summary>
    public List<string> DefaultRoles { get; set; } = [];

    /// <summary>The client registered at the provider for the web client's sign-in; sign-in by redirect is off while empty.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client's secret (a confidential client); empty for a public client, which PKCE alone protects.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The redirect URI registered at the provider; by default this server's /auth/oidc/callback as the browser reached it.</summary>
    public string? RedirectUri { get; set; }

    public string Scopes { get; set; } = "openid profile email";

    /// <summary>The provider's name on the sign-in button ("Sign in with ...").</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>How long a web sign-in lasts: the lifetime of the API token it issues.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public bool Enabled => !string.IsNullOrEmpty(Issuer);

    public bool SignInEnabled => Enabled && !string.IsNullOrEmpty(ClientId);

    /// <summary>Where discovery starts: the authority, else the issuer.</summary>
    public string MetadataAuthority => (Authority is { Length: > 0 } authority ? authority : Issuer!).TrimEnd('/');

    /// <summary>Plain http is accepted for a provider on this machine (a test or laptop set-up), never for a remote one.</summary>
    public bool RequireHttpsMetadata =>
        !Uri.TryCreate(MetadataAuthority, UriKind.Absolute, out var uri) || !uri.IsLoopback;
}
