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

    /// <summary>Failed authentications per client address and window before that address is refused (429).</summary>
    public int MaxFailures { get; set; } = 10;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>OIDC bearer tokens (JWT); disabled while Issuer is empty.</summary>
    public OidcOptions Oidc { get; set; } = new();
}

/// <summary>A trusted OpenID Connect issuer whose JWT access tokens are accepted.</summary>
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

    public bool Enabled => !string.IsNullOrEmpty(Issuer);
}
