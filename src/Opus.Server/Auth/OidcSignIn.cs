using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Opus.Core.Jobs;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// Password-less sign-in for the web client: the OpenID Connect authorization code flow with PKCE
/// (RFC 7636), state and nonce. The server is the OIDC client (the browser never sees the
/// provider's tokens); a successful sign-in ends in an ordinary Opus API token with a short
/// lifetime, named <see cref="TokenName"/>, which the client keeps in memory like a pasted one.
/// The flow's secrets travel in an HttpOnly cookie bound to this browser, so any server process
/// on the database can finish a sign-in another one started.
/// </summary>
public sealed class OidcSignIn
{
    public const string HttpClientName = "oidc";
    public const string TokenName = "web sign-in";
    public const string CallbackPath = "/auth/oidc/callback";

    private readonly OidcOptions _options;
    private readonly ExternalIdentities _users;
    private readonly ApiTokens _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<OidcSignIn> _logger;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private readonly IHttpClientFactory _http;
    private readonly IReadOnlyCollection<SecurityKey>? _offlineKeys;

    public OidcSignIn(AuthOptions auth, ExternalIdentities users, ApiTokens tokens, IHttpClientFactory http, TimeProvider time, ILogger<OidcSignIn> logger)
    {
        _options = auth.Oidc;
        _users = users;
        _tokens = tokens;
        _http = http;
        _time = time;
        _logger = logger;
        var retriever = new HttpDocumentRetriever(http.CreateClient(HttpClientName)) { RequireHttps = _options.RequireHttpsMetadata };
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            $"{_options.MetadataAuthority}/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), retriever);
        if (_options.JwksPath is { Length: > 0 } path)
            _offlineKeys = new JsonWebKeySet(File.ReadAllText(path)).GetSigningKeys().ToList();
    }

    public string DisplayName => _options.DisplayName;

    /// <summary>The provider's authorization URL for a new sign-in, and the flow that must come back with it.</summary>
    public async Task<(Uri Url, SignInFlow Flow)> StartAsync(string redirectUri, CancellationToken cancellationToken)
    {
        var metadata = await _metadata.GetConfigurationAsync(cancellationToken);
        var flow = new SignInFlow(RandomText(), RandomText(), RandomText());
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = _options.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = _options.Scopes,
            ["state"] = flow.State,
            ["nonce"] = flow.Nonce,
            ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(flow.Verifier))),
            ["code_challenge_method"] = "S256",
        };
        var url = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(metadata.AuthorizationEndpoint, query);
        return (new Uri(url), flow);
    }

    /// <summary>
    /// Exchanges the code, validates the ID token (signature, issuer, audience, lifetime, nonce),
    /// finds or creates the Opus user and issues the web sign-in token. Failures are
    /// <see cref="SignInException"/> with a code the client turns into a message.
    /// </summary>
    public async Task<(string UserName, string Token)> FinishAsync(SignInFlow flow, string code, string redirectUri, CancellationToken cancellationToken)
    {
        var metadata = await _metadata.GetConfigurationAsync(cancellationToken);
        var tokens = await RedeemAsync(metadata, flow, code, redirectUri, cancellationToken);
        if (!tokens.TryGetProperty("id_token", out var idTokenElement) || idTokenElement.GetString() is not { Length: > 0 } idToken)
            throw new SignInException("failed", "the token endpoint answered no id_token (is 'openid' among the scopes?)");

        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.ClientId,
            IssuerSigningKeys = _offlineKeys ?? (IEnumerable<SecurityKey>)metadata.SigningKeys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        if (!validation.IsValid)
        {
            // New keys at the provider: read its metadata again next time.
            if (validation.Exception is SecurityTokenSignatureKeyNotFoundException)
                _metadata.RequestRefresh();
            throw new SignInException("failed", $"the ID token is not valid: {validation.Exception?.Message}");
        }

        var claims = validation.Claims;
        if (!claims.TryGetValue("nonce", out var nonce) || !FixedTimeEquals(nonce as string, flow.Nonce))
            throw new SignInException("failed", "the ID token's nonce is not this sign-in's");

        // The person is the issuer's subject (OIDC Core 2: sub is required and never reassigned); the name only names a new account.
        var subject = claims.TryGetValue("sub", out var sub) ? sub as string : null;
        if (string.IsNullOrEmpty(subject))
            throw new SignInException("failed", "the ID token has no sub claim");

        var name = claims.TryGetValue(_options.UserNameClaim, out var value) ? value as string : null;
        var email = claims.TryGetValue("email", out var mail) ? mail as string : null;
        if (string.IsNullOrEmpty(name) && tokens.TryGetProperty("access_token", out var access) && access.GetString() is { Length: > 0 } accessToken
            && !string.IsNullOrEmpty(metadata.UserInfoEndpoint))
        {
            var info = await UserInfoAsync(metadata.UserInfoEndpoint, accessToken, cancellationToken);
            // The user info must be about the person the ID token names (OIDC Core 5.3.2).
            if (info.TryGetProperty("sub", out var infoSubject) && infoSubject.GetString() == subject)
            {
                name = info.TryGetProperty(_options.UserNameClaim, out var n) ? n.GetString() : null;
                email ??= info.TryGetProperty("email", out var e) ? e.GetString() : null;
            }
        }

        if (string.IsNullOrEmpty(name))
            throw new SignInException("claim", $"the provider gave no '{_options.UserNameClaim}' claim");

        Caller? caller;
        try
        {
            caller = await _users.SignInAsync(_options.Issuer!, subject, name, email, _options.DefaultRoles, cancellationToken);
        }
        catch (OpusValidationException e)
        {
            throw new SignInException("failed", $"the provider's user name '{name}' cannot be an Opus user: {e.Message}");
        }
        catch (ExternalIdentityConflictException e)
        {
            throw new SignInException("taken", e.Message);
        }
        catch (OpusConflictException e)
        {
            throw new SignInException("failed", e.Message);
        }

        if (caller is null)
            throw new SignInException("inactive", $"user '{name}' is not active");

        var now = _time.GetUtcNow().UtcDateTime;
        var (_, _, secret) = await _tokens.IssueAsync(caller, caller.UserName, TokenName, now + _options.SessionLifetime, cancellationToken);
        await _tokens.PruneAsync(caller, caller.UserName, TokenName, cancellationToken);
        _logger.LogInformation("User {UserName} signed in through {Issuer}", caller.UserName, _options.Issuer);
        return (caller.UserName, secret);
    }

    private async Task<JsonElement> RedeemAsync(OpenIdConnectConfiguration metadata, SignInFlow flow, string code, string redirectUri, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = flow.Verifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, metadata.TokenEndpoint);
        if (string.IsNullOrEmpty(_options.ClientSecret))
        {
            form["client_id"] = _options.ClientId!;
        }
        else if (metadata.TokenEndpointAuthMethodsSupported.Count == 0 || metadata.TokenEndpointAuthMethodsSupported.Contains("client_secret_basic"))
        {
            // RFC 6749 2.3.1: both parts form-encoded before Basic.
            var pair = $"{Uri.EscapeDataString(_options.ClientId!)}:{Uri.EscapeDataString(_options.ClientSecret)}";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }
        else
        {
            form["client_id"] = _options.ClientId!;
            form["client_secret"] = _options.ClientSecret;
        }

        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            using var response = await _http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = Parse(body);
            if (!response.IsSuccessStatusCode)
            {
                var error = json?.RootElement.TryGetProperty("error", out var e) == true ? e.GetString() : null;
                throw new SignInException("failed", $"the token endpoint refused the code ({(int)response.StatusCode} {error})");
            }

            return json?.RootElement.Clone() ?? throw new SignInException("failed", "the token endpoint answered no JSON");
        }
        catch (HttpRequestException e)
        {
            throw new SignInException("unavailable", $"the token endpoint did not answer: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SignInException("unavailable", "the token endpoint did not answer in time");
        }
    }

    private async Task<JsonElement> UserInfoAsync(string endpoint, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await _http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        using var json = response.IsSuccessStatusCode ? Parse(await response.Content.ReadAsStringAsync(cancellationToken)) : null;
        return json?.RootElement.Clone() ?? default;
    }

    private static JsonDocument? Parse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool FixedTimeEquals(string? a, string? b) =>
        a is not null && b is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string RandomText() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}

/// <summary>One sign-in in progress: what the callback must see again (state, nonce) and the PKCE verifier.</summary>
public sealed record SignInFlow(string State, string Nonce, string Verifier)
{
    public string ToCookie() => $"{State}.{Nonce}.{Verifier}";

    public static SignInFlow? FromCookie(string? value) =>
        value?.Split('.') is [{ Length: > 0 } state, { Length: > 0 } nonce, { Length: > 0 } verifier] ? new SignInFlow(state, nonce, verifier) : null;
}

/// <summary>A sign-in that did not succeed; <see cref="Code"/> tells the client which message to show.</summary>
public sealed class SignInException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
