using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// Password-less sign-in in the browser: the client's button, the real OpenID provider's pages
/// (tests/idp), back signed in; a reload keeps the sign-in, sign-out revokes its token; a refusal
/// at the provider comes back as a message on the sign-in page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OidcSignInTests(BrowserFixture fixture) : IAsyncLifetime
{
    private const string ClientId = "opus-web";
    private const string ClientSecret = "opus-web-browser-secret-0123456789";

    private OpusServer _server = null!;
    private IdentityProvider _provider = null!;

    public async Task InitializeAsync()
    {
        var port = OpusServer.FreePort();
        _server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:Auth:Oidc:Issuer"] = $"http://127.0.0.1:{port}",
            ["Opus:Auth:Oidc:ClientId"] = ClientId,
            ["Opus:Auth:Oidc:ClientSecret"] = ClientSecret,
            ["Opus:Auth:Oidc:DisplayName"] = "Observatory SSO",
            ["Opus:Auth:Oidc:DefaultRoles:0"] = "copy",
        });
        _provider = await IdentityProvider.StartAsync(port, ClientId, ClientSecret, new Uri(_server.BaseUri, "/auth/oidc/callback").AbsoluteUri);
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task SignInAtProviderAsync(IPage page, string login)
    {
        await Expect(page.Locator("#login-name")).ToBeVisibleAsync();
        await page.Locator("#login-name").FillAsync(login);
        await page.Locator("#sign-in").ClickAsync();
    }

    [Fact]
    public async Task A_user_signs_in_at_the_provider_comes_back_signed_in_keeps_it_on_reload_and_signing_out_revokes_it()
    {
        var user = $"olga{Guid.NewGuid():N}"[..12];
        await using var session = await ClientSession.OpenAsync(fixture.Browser, _server);
        var page = session.Page;
        // A deep link first: after the sign-in the client goes where the user was going.
        await session.GoAsync("#/new/copy");
        var button = page.GetByTestId("oidc-signin");
        await Expect(button).ToHaveTextAsync("Sign in with Observatory SSO");
        await session.ScreenshotAsync("00-signin-oidc");

        // By keyboard: it is a link, reachable and followed with Enter.
        await button.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await SignInAtProviderAsync(page, user);
        await page.Locator("#continue").ClickAsync();

        await Expect(page.GetByTestId("who")).ToContainTextAsync(user);
        Assert.EndsWith("/client/#/new/copy", page.Url, StringComparison.Ordinal);
        // The hand-off cookie is read once and gone; the token is nowhere in the URL or history.
        Assert.DoesNotContain("opus.signin", await page.EvaluateAsync<string>("document.cookie"), StringComparison.Ordinal);
        Assert.DoesNotContain(await session.Context.CookiesAsync(), c => c.Name == "opus.signin");
        await session.ScreenshotAsync("00-signed-in-oidc");

        await page.ReloadAsync();
        await Expect(page.GetByTestId("who")).ToContainTextAsync(user);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        using var admin = _server.AdminClient();
        var tokens = JsonNode.Parse(await admin.GetStringAsync($"/users/{user}/tokens"))!["tokens"]!.AsArray();
        var webSignIn = Assert.Single(tokens);
        Assert.Equal("web sign-in", webSignIn!["name"]!.GetValue<string>());
        Assert.NotNull(webSignIn["revokedAt"]);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_refusal_at_the_provider_is_shown_on_the_sign_in_page()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, _server);
        var page = session.Page;
        await session.GoAsync("#/signin");
        await page.GetByTestId("oidc-signin").ClickAsync();
        await SignInAtProviderAsync(page, "deny");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The identity provider did not sign you in (access_denied).");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('opus.token')"));
        await session.ScreenshotAsync("00-signin-oidc-refused");
        session.AssertNoErrors();
    }
}
