using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>One real OpenID Provider (tests/idp) for the tests of the harness itself.</summary>
public sealed class IdentityProviderFixture : IAsyncLifetime
{
    public const string ClientId = "opus-test-client";
    public const string ClientSecret = "opus-test-client-secret-0123456789";

    // Never requested: SignInAsync stops at the redirect to them.
    public const string RedirectUri = "http://127.0.0.1:5998/auth/oidc/callback";
    public const string OtherRedirectUri = "http://localhost:5999/signin-oidc";

    public IdentityProvider Idp { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() =>
        Idp = await IdentityProvider.StartAsync(OpusServer.FreePort(), ClientId, ClientSecret, RedirectUri, OtherRedirectUri);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (Idp is not null)
            await Idp.DisposeAsync();
    }
}

/// <summary>
/// The sign-in test harness against the real provider: discovery, the authorization code flow with PKCE
/// driven by <see cref="IdentityProvider.SignInAsync"/>, and the refusals the server's tests rely on.
/// </summary>
public sealed class IdentityProviderTests(IdentityProviderFixture fixture) : IClassFixture<IdentityProviderFixture>
{
    private IdentityProvider Idp => fixture.Idp;

    [Fact]
    public async Task Discovery_describes_the_provider_at_its_http_issuer()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);

        Assert.Equal(Idp.Issuer, (string?)discovery["issuer"]);
        Assert.Equal($"http://127.0.0.1:{Idp.Port}", Idp.Issuer);
        foreach (var endpoint in new[] { "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint" })
            Assert.StartsWith(Idp.Issuer + "/", (string?)discovery[endpoint]);
        Assert.Contains("S256", Strings(discovery["code_challenge_methods_supported"]));
        Assert.DoesNotContain("plain", Strings(discovery["code_challenge_methods_supported"]));
        Assert.Contains("RS256", Strings(discovery["id_token_signing_alg_values_supported"]));
        Assert.Contains("client_secret_basic", Strings(discovery["token_endpoint_auth_methods_supported"]));
        Assert.Contains("client_secret_post", Strings(discovery["token_endpoint_auth_methods_supported"]));
        Assert.Equal(["code"], Strings(discovery["response_types_supported"]));
        foreach (var scope in new[] { "openid", "profile", "email" })
            Assert.Contains(scope, Strings(discovery["scopes_supported"]));

        var jwks = JsonNode.Parse(await fixture.Client.GetStringAsync((string)discovery["jwks_uri"]!, cancel.Token))!;
        var key = Assert.Single(jwks["keys"]!.AsArray())!;
        Assert.Equal("RSA", (string?)key["kty"]);
        Assert.Equal("RS256", (string?)key["alg"]);
        Assert.False(string.IsNullOrEmpty((string?)key["kid"]));
        Assert.Null(key["d"]);
    }

    [Fact]
    public async Task The_code_flow_with_pkce_signs_in_as_any_login()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);
        var request = AuthorizationRequest.Create(IdentityProviderFixture.RedirectUri);

        var location = await Idp.SignInAsync(request.Url(discovery), "alice", cancel.Token);

        Assert.StartsWith(IdentityProviderFixture.RedirectUri + "?", location.ToString());
        var answer = HttpUtility.ParseQueryString(location.Query);
        Assert.Null(answer["error"]);
        Assert.Equal(request.State, answer["state"]);
        Assert.Equal(Idp.Issuer, answer["iss"]);
        var code = answer["code"];
        Assert.False(string.IsNullOrEmpty(code));

        var tokens = await ExchangeAsync(discovery, request, code!, basic: true, cancel.Token);
        Assert.Equal("Bearer", (string?)tokens["token_type"]);
        Assert.False(string.IsNullOrEmpty((string?)tokens["access_token"]));
        var (header, claims) = DecodeJwt((string)tokens["id_token"]!);
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal(Idp.Issuer, (string?)claims["iss"]);
        Assert.Equal(IdentityProviderFixture.ClientId, (string?)claims["aud"]);
        Assert.Equal(request.Nonce, (string?)claims["nonce"]);
        Assert.Equal("alice", (string?)claims["preferred_username"]);
        Assert.Equal("alice@example.org", (string?)claims["email"]);
        Assert.Equal("Alice", (string?)claims["name"]);
        Assert.Matches("^[0-9a-f]{32}$", (string?)claims["sub"]);

        // The code is single use.
        using var again = await TokenRequestAsync(discovery, request, code!, basic: true, cancel.Token);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task Sub_is_stable_per_login_and_client_secret_post_works_at_the_second_redirect_uri()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);

        async Task<JsonNode> SignInAsync(string login)
        {
            var request = AuthorizationRequest.Create(IdentityProviderFixture.OtherRedirectUri);
            var location = await Idp.SignInAsync(request.Url(discovery), login, cancel.Token);
            Assert.StartsWith(IdentityProviderFixture.OtherRedirectUri + "?", location.ToString());
            var code = HttpUtility.ParseQueryString(location.Query)["code"];
            Assert.False(string.IsNullOrEmpty(code), location.ToString());
            var tokens = await ExchangeAsync(discovery, request, code!, basic: false, cancel.Token);
            return DecodeJwt((string)tokens["id_token"]!).Claims;
        }

        // A disabled-* login signs in like any other: whether it may use Opus is the server's decision.
        var first = await SignInAsync("disabled-bob");
        var second = await SignInAsync("disabled-bob");
        var other = await SignInAsync("carol");

        Assert.Equal("disabled-bob", (string?)first["preferred_username"]);
        Assert.Equal((string?)first["sub"], (string?)second["sub"]);
        Assert.NotEqual((string?)first["sub"], (string?)other["sub"]);
        Assert.Equal("carol", (string?)other["preferred_username"]);
    }

    [Fact]
    public async Task A_wrong_code_verifier_is_refused()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);
        var request = AuthorizationRequest.Create(IdentityProviderFixture.RedirectUri);
        var location = await Idp.SignInAsync(request.Url(discovery), "dave", cancel.Token);
        var code = HttpUtility.ParseQueryString(location.Query)["code"]!;

        using var response = await TokenRequestAsync(
            discovery, request with { Verifier = AuthorizationRequest.Random() }, code, basic: true, cancel.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(cancel.Token))!["error"]);
    }

    [Fact]
    public async Task An_authorization_request_without_pkce_is_refused()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);
        var request = AuthorizationRequest.Create(IdentityProviderFixture.RedirectUri);
        var url = request.Url(discovery).ToString();
        url = string.Join('&', url.Split('&').Where(p => !p.StartsWith("code_challenge", StringComparison.Ordinal)));

        var location = await Idp.SignInAsync(new Uri(url), "erin", cancel.Token);

        var answer = HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("invalid_request", answer["error"]);
        Assert.Equal(request.State, answer["state"]);
        Assert.Null(answer["code"]);
    }

    [Fact]
    public async Task The_login_deny_comes_back_as_access_denied()
    {
        using var cancel = Limit();
        var discovery = await DiscoveryAsync(cancel.Token);
        var request = AuthorizationRequest.Create(IdentityProviderFixture.RedirectUri);

        var location = await Idp.SignInAsync(request.Url(discovery), "deny", cancel.Token);

        Assert.StartsWith(IdentityProviderFixture.RedirectUri + "?", location.ToString());
        var answer = HttpUtility.ParseQueryString(location.Query);
        Assert.Equal("access_denied", answer["error"]);
        Assert.Equal(request.State, answer["state"]);
        Assert.Equal(Idp.Issuer, answer["iss"]);
        Assert.Null(answer["code"]);
    }

    [Fact]
    public async Task Starting_on_a_taken_port_fails_at_once_with_the_providers_words()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            IdentityProvider.StartAsync(Idp.Port, "other", "other-secret", IdentityProviderFixture.RedirectUri));

        Assert.Contains("exited with 1", error.Message);
        Assert.Contains("EADDRINUSE", error.Message);
    }

    /// <summary>Every test is done within a minute or fails.</summary>
    private static CancellationTokenSource Limit() => new(TimeSpan.FromSeconds(60));

    private async Task<JsonNode> DiscoveryAsync(CancellationToken ct) =>
        JsonNode.Parse(await fixture.Client.GetStringAsync($"{Idp.Issuer}/.well-known/openid-configuration", ct))!;

    private static string[] Strings(JsonNode? array) =>
        array?.AsArray().Select(n => (string)n!).ToArray() ?? [];

    private async Task<HttpResponseMessage> TokenRequestAsync(
        JsonNode discovery, AuthorizationRequest request, string code, bool basic, CancellationToken ct)
    {
        var fields = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = request.RedirectUri,
            ["code_verifier"] = request.Verifier,
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, (string)discovery["token_endpoint"]!);
        if (basic)
        {
            // RFC 6749 2.3.1: each part form-encoded before the Basic encoding.
            var credentials = $"{Uri.EscapeDataString(Idp.ClientId)}:{Uri.EscapeDataString(Idp.ClientSecret)}";
            message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
        else
        {
            fields["client_id"] = Idp.ClientId;
            fields["client_secret"] = Idp.ClientSecret;
        }

        message.Content = new FormUrlEncodedContent(fields);
        return await fixture.Client.SendAsync(message, ct);
    }

    private async Task<JsonNode> ExchangeAsync(JsonNode discovery, AuthorizationRequest request, string code, bool basic, CancellationToken ct)
    {
        using var response = await TokenRequestAsync(discovery, request, code, basic, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token endpoint: {(int)response.StatusCode} {body}\n{Idp.Log}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The header and payload of a JWT, not verified (that is the server's job).</summary>
    private static (JsonNode Header, JsonNode Claims) DecodeJwt(string jwt)
    {
        var parts = jwt.Split('.');
        Assert.Equal(3, parts.Length);
        return (JsonNode.Parse(Base64UrlDecode(parts[0]))!, JsonNode.Parse(Base64UrlDecode(parts[1]))!);
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='));
    }

    private sealed record AuthorizationRequest(string RedirectUri, string State, string Nonce, string Verifier)
    {
        public static AuthorizationRequest Create(string redirectUri) => new(redirectUri, Random(), Random(), Random());

        public static string Random() => Base64Url(RandomNumberGenerator.GetBytes(32));

        public Uri Url(JsonNode discovery)
        {
            var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
            var query = string.Join('&', new Dictionary<string, string>
            {
                ["client_id"] = IdentityProviderFixture.ClientId,
                ["redirect_uri"] = RedirectUri,
                ["response_type"] = "code",
                ["scope"] = "openid profile email",
                ["state"] = State,
                ["nonce"] = Nonce,
                ["code_challenge"] = challenge,
                ["code_challenge_method"] = "S256",
            }.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
            return new Uri($"{(string)discovery["authorization_endpoint"]!}?{query}");
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
