using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>Users through SCIM (create, roles, OIDC subject, deactivate), their tokens (issue, revoke), definitions and status.</summary>
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

    [Fact]
    public async Task The_user_list_shows_the_SLURM_account_a_users_jobs_are_charged_to()
    {
        var name = $"carol{Guid.NewGuid():N}"[..13];
        using (var admin = fixture.Server.AdminClient())
        {
            using var body = new StringContent(
                $$$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:opus:scim:schemas:extension:2.0:User"],"userName":"{{{name}}}","urn:opus:scim:schemas:extension:2.0:User":{"slurmAccount":"astro-lab"}}""",
                System.Text.Encoding.UTF8, "application/scim+json");
            using var created = await admin.PostAsync("/scim/v2/Users", body);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await Expect(page.Locator($"tr[data-user='{name}']").GetByTestId("slurm-account")).ToHaveTextAsync("astro-lab");
        await Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "SLURM account" })).ToBeVisibleAsync();
        session.AssertNoErrors();
    }

    [Fact]
    public async Task An_admin_links_users_to_OIDC_subjects_and_sees_a_taken_or_invalid_one_at_its_field()
    {
        var olga = $"olga{Guid.NewGuid():N}"[..12];
        var omar = $"omar{Guid.NewGuid():N}"[..12];
        var subject = $"sub-{Guid.NewGuid():N}";
        var changed = $"sub-{Guid.NewGuid():N}";
        var taken = $"sub-{Guid.NewGuid():N}";
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Users" })).ToHaveAttributeAsync("aria-selected", "true");
        var createField = page.GetByLabel("OIDC subject (externalId)", new() { Exact = true });
        await Expect(createField).ToHaveAccessibleDescriptionAsync(new Regex("sub at the identity provider"));

        // Created with a subject: the table shows it, and SCIM has it.
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync(olga);
        await page.GetByLabel("Roles", new() { Exact = true }).FillAsync("copy");
        await createField.FillAsync(subject);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        var olgaRow = page.Locator($"tr[data-user='{olga}']");
        var olgaSubject = olgaRow.GetByLabel($"OIDC subject of {olga}");
        await Expect(olgaSubject).ToHaveValueAsync(subject);
        Assert.Equal(subject, (await ScimUserAsync(olga))["externalId"]?.GetValue<string>());

        // Another user with the same subject: 409, shown at the field; nobody is created. With a free one, created.
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync(omar);
        await createField.FillAsync(subject);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        var createError = page.Locator($"#{await createField.GetAttributeAsync("id")}-error");
        await Expect(createError).ToContainTextAsync($"another user has the externalId '{subject}'");
        await Expect(createField).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(createField).ToBeFocusedAsync();
        await Expect(page.Locator($"tr[data-user='{omar}']")).ToHaveCountAsync(0);
        await session.ScreenshotAsync("16-admin-external-id-taken");
        await createField.FillAsync(taken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Expect(page.Locator($"tr[data-user='{omar}']").GetByLabel($"OIDC subject of {omar}")).ToHaveValueAsync(taken);

        // Changed in the table.
        olgaRow = page.Locator($"tr[data-user='{olga}']");
        olgaSubject = olgaRow.GetByLabel($"OIDC subject of {olga}");
        await olgaSubject.FillAsync(changed);
        await olgaRow.GetByRole(AriaRole.Button, new() { Name = "Save subject" }).ClickAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync($"OIDC subject of {olga} saved");
        Assert.Equal(changed, (await ScimUserAsync(olga))["externalId"]?.GetValue<string>());

        // Omar's subject: 409 at the field, nothing changed; one too long: 400 at the field.
        var rowError = olgaRow.Locator($"#{(await olgaSubject.GetAttributeAsync("aria-describedby"))!.Split(' ')[0]}");
        await olgaSubject.FillAsync(taken);
        await olgaRow.GetByRole(AriaRole.Button, new() { Name = "Save subject" }).ClickAsync();
        await Expect(rowError).ToContainTextAsync($"another user has the externalId '{taken}'");
        await Expect(olgaSubject).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(olgaSubject).ToBeFocusedAsync();
        await session.ScreenshotAsync("17-admin-external-id-row-taken");
        Assert.Equal(changed, (await ScimUserAsync(olga))["externalId"]?.GetValue<string>());
        await olgaSubject.FillAsync(new string('x', 256));
        await olgaRow.GetByRole(AriaRole.Button, new() { Name = "Save subject" }).ClickAsync();
        await Expect(rowError).ToContainTextAsync("externalId: 1 to 255 characters");
        Assert.Equal(changed, (await ScimUserAsync(olga))["externalId"]?.GetValue<string>());

        // Cleared from the keyboard (empty, Enter): the error goes, the table shows —, SCIM has none.
        await olgaSubject.FillAsync("");
        await olgaSubject.PressAsync("Enter");
        await Expect(page.Locator(".toast").Last).ToContainTextAsync($"OIDC subject of {olga} cleared");
        await Expect(rowError).ToBeHiddenAsync();
        await Expect(olgaSubject).ToHaveAttributeAsync("aria-invalid", "false");
        Assert.Null((await ScimUserAsync(olga))["externalId"]);

        // What the table shows after a reload is what was stored.
        await page.ReloadAsync();
        olgaSubject = page.Locator($"tr[data-user='{olga}']").GetByLabel($"OIDC subject of {olga}");
        await Expect(olgaSubject).ToHaveValueAsync("");
        await Expect(olgaSubject).ToHaveAttributeAsync("placeholder", "—");
        await Expect(page.Locator($"tr[data-user='{omar}']").GetByLabel($"OIDC subject of {omar}")).ToHaveValueAsync(taken);
        session.AssertNoErrors();
    }

    private async Task<JsonNode> ScimUserAsync(string userName)
    {
        using var admin = fixture.Server.AdminClient();
        var list = JsonNode.Parse(await admin.GetStringAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}"))!;
        Assert.Equal(1, list["totalResults"]!.GetValue<int>());
        return list["Resources"]![0]!;
    }

    // Token checks are cached for a few seconds by the server; poll (bounded) until the change shows.
    private static async Task WaitForStatusAsync(HttpClient client, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
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
