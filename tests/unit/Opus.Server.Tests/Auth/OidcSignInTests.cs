using System.Net;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>
/// A server whose web sign-in goes to a real OpenID provider (panva's oidc-provider, tests/idp).
/// The provider's port is chosen first because the server needs its issuer; the provider is
/// started second because it needs the server's callback address (the server reads discovery lazily).
/// </summary>
public sealed class OidcSignInFixture : IAsyncLifetime
{
    public const string ClientId = "opus-web";
    public const string ClientSecret = "opus-web-secret-0123456789";

    public OpusServer Server { get; private set; } = null!;

    public IdentityProvider Provider { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = OpusServer.FreePort();
        Server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:MaxFailures", "1000000"),
            ("Opus:Auth:Oidc:Issuer", $"http://127.0.0.1:{port}"),
            ("Opus:Auth:Oidc:ClientId", ClientId),
            ("Opus:Auth:Oidc:ClientSecret", ClientSecret),
            ("Opus:Auth:Oidc:DisplayName", "Test IdP"),
            ("Opus:Auth:Oidc:DefaultRoles:0", "copy")));
        Provider = await IdentityProvider.StartAsync(port, ClientId, ClientSecret, new Uri(Server.BaseUri, "/auth/oidc/callback").AbsoluteUri);
        Admin = Server.AdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Provider.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public sealed class OidcSignInTests(OidcSignInFixture fixture) : IClassFixture<OidcSignInFixture>
{
    private OpusServer Server => fixture.Server;

    /// <summary>A browser's view: no redirects followed, cookies carried by hand so each one can be checked.</summary>
    private HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A sign-in as started: the provider's URL, the flow's cookies as a Cookie header, and their Set-Cookie lines.</summary>
    private sealed record Started(Uri Authorization, string FlowCookie, IReadOnlyList<string> SetCookies);

    private async Task<Started> StartAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("/auth/oidc/login");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // The handler's correlation cookie and nonce cookie, nothing else.
        var setCookies = response.Headers.GetValues("Set-Cookie").ToList();
        Assert.Equal(2, setCookies.Count);
        Assert.All(setCookies, c => Assert.StartsWith("opus.oidc.", c, StringComparison.Ordinal));
        return new Started(response.Headers.Location!, string.Join("; ", setCookies.Select(c => c.Split(';')[0])), setCookies);
    }

    private async Task<HttpResponseMessage> CallbackAsync(HttpClient browser, Uri callback, string? flowCookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, callback.PathAndQuery);
        if (flowCookie is not null)
            request.Headers.Add("Cookie", flowCookie);
        return await browser.SendAsync(request);
    }

    /// <summary>A whole sign-in: start, the provider's pages as <paramref name="login"/>, and the callback's answer.</summary>
    private async Task<HttpResponseMessage> SignInThroughProviderAsync(HttpClient browser, string login)
    {
        var started = await StartAsync(browser);
        return await CallbackAsync(browser, await fixture.Provider.SignInAsync(started.Authorization, login), started.FlowCookie);
    }

    private static string? HandoffToken(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Where(c => c.StartsWith("opus.signin=", StringComparison.Ordinal)).Select(c => c.Split(';')[0]["opus.signin=".Length..]).FirstOrDefault()
            : null;

    private async Task<JsonArray> TokensOfAsync(string user)
    {
        using var response = await fixture.Admin.GetAsync($"/users/{user}/tokens");
        return response.StatusCode == HttpStatusCode.NotFound ? [] : JsonNode.Parse(await response.Content.ReadAsStringAsync())!["tokens"]!.AsArray();
    }

    private async Task<bool> UserExistsAsync(string user)
    {
        using var response = await fixture.Admin.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{user}\"")}");
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["totalResults"]!.GetValue<int>() > 0;
    }

    [Fact]
    public async Task Methods_offer_the_provider_by_name_to_anyone()
    {
        using var browser = Browser();
        var methods = JsonNode.Parse(await browser.GetStringAsync("/auth/methods"))!;
        Assert.Equal("Test IdP", methods["oidc"]!["name"]!.GetValue<string>());
        Assert.Equal("/auth/oidc/login", methods["oidc"]!["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Login_redirects_to_the_provider_with_pkce_state_and_nonce_and_short_lived_httponly_cookies()
    {
        using var browser = Browser();
        var started = await StartAsync(browser);
        var query = System.Web.HttpUtility.ParseQueryString(started.Authorization.Query);
        Assert.StartsWith($"{fixture.Provider.Issuer}/", started.Authorization.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal(OidcSignInFixture.ClientId, query["client_id"]);
        Assert.Equal(new Uri(Server.BaseUri, "/auth/oidc/callback").AbsoluteUri, query["redirect_uri"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal(43, query["code_challenge"]!.Length);
        Assert.Contains("openid", query["scope"]!.Split(' '));
        Assert.True(query["state"]!.Length >= 32);
        Assert.True(query["nonce"]!.Length >= 32);
        foreach (var setCookie in started.SetCookies)
        {
            var cookie = setCookie.ToLowerInvariant();
            Assert.Contains("httponly", cookie);
            Assert.Contains("samesite=lax", cookie);
            Assert.Contains("path=/auth/oidc/callback", cookie);
            // Short-lived: a sign-in in progress, never a session.
            var expires = DateTimeOffset.Parse(setCookie.Split(';').Select(p => p.Trim()).Single(p => p.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))["expires=".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(9), DateTimeOffset.UtcNow.AddMinutes(11));
            // The nonce is in the URL, the cookies hold it protected only (the PKCE verifier travels in the protected state).
            Assert.DoesNotContain(query["nonce"]!, setCookie, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_full_sign_in_creates_the_user_with_default_roles_and_hands_over_a_short_lived_token_that_sign_out_revokes()
    {
        var user = AuthSteps.UniqueName("carol");
        using var browser = Browser();
        var started = await StartAsync(browser);
        var callback = await fixture.Provider.SignInAsync(started.Authorization, user);
        using var finished = await CallbackAsync(browser, callback, started.FlowCookie);

        Assert.Equal(HttpStatusCode.Redirect, finished.StatusCode);
        Assert.Equal("/client/#/signin?oidc=done", finished.Headers.Location!.OriginalString);
        var cookies = finished.Headers.GetValues("Set-Cookie").ToList();
        var handoff = Assert.Single(cookies, c => c.StartsWith("opus.signin=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("path=/client/", handoff);
        Assert.Contains("samesite=strict", handoff);
        Assert.Contains("max-age=120", handoff);
        // The flow's cookies are spent.
        foreach (var flowCookie in started.FlowCookie.Split("; "))
            Assert.Contains(cookies, c => c.StartsWith($"{flowCookie.Split('=')[0]}=;", StringComparison.Ordinal) && c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("no-referrer", finished.Headers.GetValues("Referrer-Policy").Single());

        var token = HandoffToken(finished)!;
        using var client = Server.BearerClient(token);
        var me = JsonNode.Parse(await client.GetStringAsync("/me"))!;
        Assert.Equal(user, me["userName"]!.GetValue<string>());
        Assert.Equal(["copy"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        var issued = Assert.Single(await TokensOfAsync(user));
        Assert.Equal("web sign-in", issued!["name"]!.GetValue<string>());
        var expires = issued["expiresAt"]!.GetValue<DateTime>().ToUniversalTime();
        Assert.InRange(expires, DateTime.UtcNow.AddHours(7.9), DateTime.UtcNow.AddHours(8.1));

        // Neither the code nor the token is ever logged.
        var code = System.Web.HttpUtility.ParseQueryString(callback.Query)["code"]!;
        Assert.DoesNotContain(code, Server.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(token, Server.Log, StringComparison.Ordinal);

        using (var signOut = await client.PostAsync("/auth/signout", null))
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        using var after = await client.GetAsync("/me");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Signing_in_again_prunes_the_spent_web_sign_ins_and_keeps_other_tokens()
    {
        var user = AuthSteps.UniqueName("erin");
        string first;
        using (var browser = Browser())
        {
            using var finished = await SignInThroughProviderAsync(browser, user);
            first = HandoffToken(finished)!;
        }

        using (var firstClient = Server.BearerClient(first))
            (await firstClient.PostAsync("/auth/signout", null)).Dispose();
        await Server.IssueTokenAsync(user, "laptop");

        using (var browser = Browser())
        {
            using var finished = await SignInThroughProviderAsync(browser, user);
            Assert.NotNull(HandoffToken(finished));
        }

        var names = (await TokensOfAsync(user)).Select(t => t!["name"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["laptop", "web sign-in"], names);
    }

    [Fact]
    public async Task Sign_out_with_an_api_token_revokes_nothing()
    {
        var user = AuthSteps.UniqueName("frank");
        await Server.CreateUserAsync(user, "copy");
        var token = await Server.IssueTokenAsync(user, "laptop");
        using var client = Server.BearerClient(token.Secret);
        using (var signOut = await client.PostAsync("/auth/signout", null))
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        using var me = await client.GetAsync("/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
    }

    [Fact]
    public async Task A_callback_without_the_flow_cookie_or_with_another_flows_state_signs_in_no_one()
    {
        var user = AuthSteps.UniqueName("mallory");
        using var browser = Browser();
        var victim = await StartAsync(browser);
        var attacker = await StartAsync(browser);
        var callback = await fixture.Provider.SignInAsync(attacker.Authorization, user);

        using (var noCookie = await CallbackAsync(browser, callback, null))
        {
            Assert.Equal("/client/#/signin?problem=expired", noCookie.Headers.Location!.OriginalString);
            Assert.Null(HandoffToken(noCookie));
        }

        using (var otherFlow = await CallbackAsync(browser, callback, victim.FlowCookie))
        {
            Assert.Equal("/client/#/signin?problem=expired", otherFlow.Headers.Location!.OriginalString);
            Assert.Null(HandoffToken(otherFlow));
        }

        Assert.False(await UserExistsAsync(user));
    }

    [Fact]
    public async Task A_code_used_twice_gives_no_second_token()
    {
        var user = AuthSteps.UniqueName("gina");
        using var browser = Browser();
        var started = await StartAsync(browser);
        var callback = await fixture.Provider.SignInAsync(started.Authorization, user);
        using (var first = await CallbackAsync(browser, callback, started.FlowCookie))
            Assert.NotNull(HandoffToken(first));
        // A replay that even carries the spent cookie: the provider refuses the code.
        using (var replay = await CallbackAsync(browser, callback, started.FlowCookie))
        {
            Assert.Equal("/client/#/signin?problem=failed", replay.Headers.Location!.OriginalString);
            Assert.Null(HandoffToken(replay));
        }

        Assert.Single(await TokensOfAsync(user));
    }

    /// <summary>The test provider's sub of a login (tests/idp/server.mjs: a SHA-256 of it).</summary>
    private static string SubjectOf(string login) => AuthSteps.Sha256Hex($"opus-test-idp:{login}")[..32];

    /// <summary>Creates a user through SCIM linked to the provider's <paramref name="login"/> by externalId; returns its id.</summary>
    private async Task<string> CreateLinkedUserAsync(string user, string login, params string[] roles)
    {
        var body = RouteIsolationFixture.ScimUser(user, null, roles);
        body["externalId"] = SubjectOf(login);
        using var response = await fixture.Admin.PostAsync("/scim/v2/Users", AuthSteps.ScimContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task An_inactive_user_is_refused_and_gets_no_token()
    {
        var user = AuthSteps.UniqueName("hank");
        var id = await CreateLinkedUserAsync(user, user, "copy");
        var patch = $$"""{"schemas":["{{AuthSteps.PatchSchema}}"],"Operations":[{"op":"replace","path":"active","value":false}]}""";
        using (var deactivate = await fixture.Admin.PatchAsync($"/scim/v2/Users/{id}", new StringContent(patch, System.Text.Encoding.UTF8, AuthSteps.ScimMediaType)))
            Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);
        using var browser = Browser();
        using var finished = await SignInThroughProviderAsync(browser, user);
        Assert.Equal("/client/#/signin?problem=inactive", finished.Headers.Location!.OriginalString);
        Assert.Null(HandoffToken(finished));
        Assert.Empty(await TokensOfAsync(user));
    }

    [Fact]
    public async Task A_login_named_like_a_local_user_is_taken_and_signs_in_no_one()
    {
        // Someone at the provider whose user name is a local account's (as "admin" would be).
        var user = AuthSteps.UniqueName("lena");
        var id = await Server.CreateUserAsync(user, "copy", "sleep");
        using var browser = Browser();
        using var finished = await SignInThroughProviderAsync(browser, user);
        Assert.Equal(HttpStatusCode.Redirect, finished.StatusCode);
        Assert.Equal("/client/#/signin?problem=taken", finished.Headers.Location!.OriginalString);
        Assert.Null(HandoffToken(finished));
        Assert.Empty(await TokensOfAsync(user));
        var account = JsonNode.Parse(await fixture.Admin.GetStringAsync($"/scim/v2/Users/{id}"))!;
        Assert.Null(account["externalId"]);
        Assert.Contains("belongs to another Opus account", Server.Log, StringComparison.Ordinal);

        // The admin's own name is no way in either.
        var again = await StartAsync(browser);
        using var admin = await CallbackAsync(browser, await fixture.Provider.SignInAsync(again.Authorization, "admin"), again.FlowCookie);
        Assert.Equal("/client/#/signin?problem=taken", admin.Headers.Location!.OriginalString);
        Assert.Null(HandoffToken(admin));
        Assert.DoesNotContain(await TokensOfAsync("admin"), t => t!["name"]!.GetValue<string>() == "web sign-in");
    }

    [Fact]
    public async Task A_user_an_admin_linked_to_the_login_signs_in_as_itself_whatever_the_login_is_called()
    {
        var login = AuthSteps.UniqueName("pat");
        var user = AuthSteps.UniqueName("patricia");
        await CreateLinkedUserAsync(user, login, "sleep");
        using (var browser = Browser())
        {
            using var finished = await SignInThroughProviderAsync(browser, login);
            Assert.Equal("/client/#/signin?oidc=done", finished.Headers.Location!.OriginalString);
            using var client = Server.BearerClient(HandoffToken(finished)!);
            var me = JsonNode.Parse(await client.GetStringAsync("/me"))!;
            Assert.Equal(user, me["userName"]!.GetValue<string>());
            Assert.Equal(["sleep"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        }

        Assert.False(await UserExistsAsync(login));
        Assert.Equal("web sign-in", Assert.Single(await TokensOfAsync(user))!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refusal_by_the_provider_comes_back_as_its_error_code()
    {
        using var browser = Browser();
        var started = await StartAsync(browser);
        var callback = await fixture.Provider.SignInAsync(started.Authorization, "deny");
        using var finished = await CallbackAsync(browser, callback, started.FlowCookie);
        Assert.Equal("/client/#/signin?problem=provider&error=access_denied", finished.Headers.Location!.OriginalString);
        Assert.Null(HandoffToken(finished));
    }

    [Fact]
    public async Task A_forged_error_text_is_not_passed_on()
    {
        using var browser = Browser();
        var started = await StartAsync(browser);
        var state = System.Web.HttpUtility.ParseQueryString(started.Authorization.Query)["state"];
        var forged = new Uri(Server.BaseUri, $"/auth/oidc/callback?state={state}&error={Uri.EscapeDataString("Call +1 555 0100 now")}");
        using var finished = await CallbackAsync(browser, forged, started.FlowCookie);
        Assert.Equal("/client/#/signin?problem=provider", finished.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task An_answer_naming_another_issuer_is_refused()
    {
        var user = AuthSteps.UniqueName("ivan");
        using var browser = Browser();
        var started = await StartAsync(browser);
        var callback = await fixture.Provider.SignInAsync(started.Authorization, user);
        Assert.Contains($"iss={Uri.EscapeDataString(fixture.Provider.Issuer)}", callback.Query, StringComparison.Ordinal);
        var mixedUp = callback.PathAndQuery.Replace(Uri.EscapeDataString(fixture.Provider.Issuer), Uri.EscapeDataString("https://evil.example"), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(HttpMethod.Get, mixedUp);
        request.Headers.Add("Cookie", started.FlowCookie);
        using var finished = await browser.SendAsync(request);
        Assert.Equal("/client/#/signin?problem=failed", finished.Headers.Location!.OriginalString);
        Assert.Null(HandoffToken(finished));
        Assert.False(await UserExistsAsync(user));
    }
}

/// <summary>Servers whose sign-in by redirect is off, or whose provider cannot be reached.</summary>
public sealed class OidcSignInConfigurationTests
{
    [Fact]
    public async Task Without_a_client_id_there_is_no_redirect_sign_in()
    {
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings());
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri };
        var methods = JsonNode.Parse(await browser.GetStringAsync("/auth/methods"))!;
        Assert.Null(methods["oidc"]);
        using var login = await browser.GetAsync("/auth/oidc/login");
        Assert.Equal(HttpStatusCode.NotFound, login.StatusCode);
        var message = await login.Content.ReadAsStringAsync();
        Assert.Equal("sign-in by OIDC redirect is not configured on this server (Opus:Auth:Oidc:ClientId)\n", message);
        using var callback = await browser.GetAsync("/auth/oidc/callback?code=x&state=y");
        Assert.Equal(HttpStatusCode.NotFound, callback.StatusCode);
        Assert.Equal(message, await callback.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_sign_in_started_on_one_server_finishes_on_another_sharing_the_data_folder()
    {
        // Two processes behind one address (cookies do not care for ports): the state is protected by the data folder's keys.
        var port = OpusServer.FreePort();
        var settings = AuthSteps.Settings(
            ("Opus:Auth:Oidc:Issuer", $"http://127.0.0.1:{port}"),
            ("Opus:Auth:Oidc:ClientId", OidcSignInFixture.ClientId),
            ("Opus:Auth:Oidc:ClientSecret", OidcSignInFixture.ClientSecret));
        await using var first = await OpusServer.StartAsync(settings);
        await using var second = await OpusServer.StartAsync(settings, first.DataPath);
        await using var provider = await IdentityProvider.StartAsync(port, OidcSignInFixture.ClientId, OidcSignInFixture.ClientSecret, new Uri(first.BaseUri, "/auth/oidc/callback").AbsoluteUri);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        using var started = await browser.GetAsync(new Uri(first.BaseUri, "/auth/oidc/login"));
        var cookies = string.Join("; ", started.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var callback = await provider.SignInAsync(started.Headers.Location!, AuthSteps.UniqueName("sven"));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(second.BaseUri, callback.PathAndQuery));
        request.Headers.Add("Cookie", cookies);
        using var finished = await browser.SendAsync(request);

        Assert.Equal("/client/#/signin?oidc=done", finished.Headers.Location!.OriginalString);
        var token = finished.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("opus.signin=", StringComparison.Ordinal)).Split(';')[0]["opus.signin=".Length..];
        // The server that finished the sign-in issued the token (on PostgreSQL each test server has a database of its own).
        using var client = second.BearerClient(token);
        using var me = await client.GetAsync("/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        // The keys are the data folder's, not the account's home's: what servers on other machines share.
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(first.DataPath, "keys"), "key-*.xml"));
    }

    [Fact]
    public async Task A_provider_without_the_name_claim_or_gone_before_the_callback_sends_the_browser_back_with_a_message()
    {
        var port = OpusServer.FreePort();
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:Oidc:Issuer", $"http://127.0.0.1:{port}"),
            ("Opus:Auth:Oidc:ClientId", OidcSignInFixture.ClientId),
            ("Opus:Auth:Oidc:ClientSecret", OidcSignInFixture.ClientSecret),
            // A claim the test provider never gives, in the ID token or at userinfo.
            ("Opus:Auth:Oidc:UserNameClaim", "nickname")));
        var provider = await IdentityProvider.StartAsync(port, OidcSignInFixture.ClientId, OidcSignInFixture.ClientSecret, new Uri(server.BaseUri, "/auth/oidc/callback").AbsoluteUri);
        await using var stopProvider = provider;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.BaseUri };

        async Task<(Uri Callback, string Cookies)> AtProviderAsync(string login)
        {
            using var started = await browser.GetAsync("/auth/oidc/login");
            var cookies = string.Join("; ", started.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
            return (await provider.SignInAsync(started.Headers.Location!, login), cookies);
        }

        async Task<string> CallbackAsync((Uri Callback, string Cookies) flow)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, flow.Callback.PathAndQuery);
            request.Headers.Add("Cookie", flow.Cookies);
            using var response = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.False(response.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("opus.signin=", StringComparison.Ordinal)));
            return response.Headers.Location!.OriginalString;
        }

        Assert.Equal("/client/#/signin?problem=claim", await CallbackAsync(await AtProviderAsync(AuthSteps.UniqueName("nick"))));

        // The provider answered the redirect, then went away: the code cannot be redeemed.
        var flow = await AtProviderAsync(AuthSteps.UniqueName("nora"));
        await provider.DisposeAsync();
        Assert.Equal("/client/#/signin?problem=unavailable", await CallbackAsync(flow));
    }

    [Fact]
    public async Task An_unreachable_provider_sends_the_browser_back_with_a_message()
    {
        var nobody = OpusServer.FreePort();
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:Oidc:Issuer", $"http://127.0.0.1:{nobody}"),
            ("Opus:Auth:Oidc:ClientId", "opus-web")));
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri };
        using var login = await browser.GetAsync("/auth/oidc/login");
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/client/#/signin?problem=unavailable", login.Headers.Location!.OriginalString);
    }
}
