using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>Users through SCIM (create, roles, deactivate), their tokens (issue, revoke), definitions and status.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdminTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_creates_a_user_issues_a_token_it_signs_in_with_then_deactivates_and_revokes()
    {
        var name = $"alice{Guid.NewGuid():N}"[..13];
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Users" })).ToHaveAttributeAsync("aria-selected", "true");

        await page.GetByLabel("User name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Display name", new() { Exact = true }).FillAsync("Alice Example");
        await page.GetByLabel("Roles", new() { Exact = true }).FillAsync("copy, sleep");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        var row = page.Locator($"tr[data-user='{name}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.GetByLabel($"Roles of {name}")).ToHaveValueAsync("copy, sleep");

        // A token for her, shown once, that signs her in.
        await Expect(page.GetByTestId("tokens")).ToContainTextAsync($"Tokens of {name}");
        await page.GetByLabel("Token name").FillAsync("laptop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Issue token" }).ClickAsync();
        var token = (await page.GetByTestId("new-token").TextContentAsync())!.Trim();
        Assert.False(string.IsNullOrEmpty(token));
        await Expect(page.GetByTestId("tokens").Locator("tr[data-token='laptop']")).ToContainTextAsync("active");
        await session.ScreenshotAsync("08-admin-users");

        await using (var alice = await ClientSession.OpenAsync(fixture.Browser, fixture.Server))
        {
            await alice.SignInAsync(name, token);
            await Expect(alice.Page.Locator("#nav-admin")).ToBeHiddenAsync();
            alice.AssertNoErrors();
        }

        // Roles changed, then deactivated: her token stops working.
        await row.GetByLabel($"Roles of {name}").FillAsync("copy");
        await row.GetByRole(AriaRole.Button, new() { Name = "Save roles" }).ClickAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync($"Roles of {name} saved");
        await row.GetByLabel($"{name} is active").UncheckAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync("deactivated");
        using (var client = fixture.Server.ClientFor(name, token))
        {
            await WaitForStatusAsync(client, HttpStatusCode.Unauthorized);
        }

        await row.GetByLabel($"{name} is active").CheckAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync("activated");
        await row.GetByRole(AriaRole.Button, new() { Name = "Tokens" }).ClickAsync();
        var laptop = page.GetByTestId("tokens").Locator("tr[data-token='laptop']");
        await laptop.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(laptop).ToContainTextAsync("revoked");
        using (var client = fixture.Server.ClientFor(name, token))
        {
            await WaitForStatusAsync(client, HttpStatusCode.Unauthorized);
        }

        // The other tabs: definitions and the server status.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Definitions" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Definitions" })).ToContainTextAsync("sleep");
        await session.ScreenshotAsync("09-admin-definitions");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Server status" }).ClickAsync();
        await Expect(page.GetByTestId("status")).ToContainTextAsync("local");
        await session.ScreenshotAsync("10-admin-status");
        session.AssertNoErrors();
    }

    // Token checks are cached for a few seconds by the server; poll (bounded) until the change shows.
    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode last;
        do
        {
            using var response = await client.GetAsync("/me");
            last = response.StatusCode;
            if (last == expected)
                return;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(expected, last);
    }
}
