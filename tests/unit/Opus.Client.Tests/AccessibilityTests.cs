using System.Text.Json;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// Every page of the client checked by axe-core (Deque's rules engine, pinned in tests/a11y) against
/// WCAG 2.1 A and AA: labels, names, roles, contrast, landmarks. axe is added as an init script
/// through the DevTools protocol, so the pages' strict CSP stays on. Also: focus is visible.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserFixture fixture)
{
    private static readonly string AxePath = Path.Combine(OpusServer.RepositoryRoot, "tests", "a11y", "node_modules", "axe-core", "axe.min.js");

    internal static async Task<ClientSession> OpenAsync(BrowserFixture fixture)
    {
        if (!File.Exists(AxePath))
            throw new InvalidOperationException($"{AxePath} is missing: run npm ci in tests/a11y (scripts/test.sh does)");
        var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await session.Page.AddInitScriptAsync(scriptPath: AxePath);
        return session;
    }

    /// <summary>The page's WCAG 2.1 A/AA violations, one line each, with up to three offending elements.</summary>
    internal static async Task<List<string>> ViolationsAsync(IPage page)
    {
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
              return JSON.stringify(result.violations.map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`));
            }
            """);
        return JsonSerializer.Deserialize<List<string>>(json)!;
    }

    private static async Task AssertAccessibleAsync(IPage page, string what, List<string> problems)
    {
        foreach (var violation in await ViolationsAsync(page))
            problems.Add($"{what}: {violation}");
    }

    [Fact]
    public async Task Every_page_passes_the_WCAG_2_1_AA_rules_of_axe()
    {
        await using var session = await OpenAsync(fixture);
        var page = session.Page;
        var problems = new List<string>();

        await page.GotoAsync("/client/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "sign-in", problems);

        await session.SignInAsync();
        // A finished job with a result, for the list and the detail page.
        await session.GoAsync("#/new/copy");
        await page.GetByLabel("text").FillAsync("Accessible sky");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("Accessible sky");
        await AssertAccessibleAsync(page, "job detail", problems);

        await session.GoAsync("#/jobs");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("tbody tr").First).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "job list", problems);

        await session.GoAsync("#/new/sleep");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New job: sleep" })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "job form", problems);

        await session.GoAsync("#/definitions");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "sleep", Exact = true })).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "definition list", problems);
        await session.GoAsync("#/definitions/copy");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Definition copy" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("versions")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "definition editor", problems);

        await session.GoAsync("#/admin");
        await Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Users" })).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("tr[data-user='admin']")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "admin users", problems);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Definitions" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Definitions" })).ToContainTextAsync("sleep");
        await AssertAccessibleAsync(page, "admin definitions", problems);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Server status" }).ClickAsync();
        await Expect(page.GetByTestId("status-COMPLETED")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "admin status", problems);

        Assert.True(problems.Count == 0, "axe found:\n" + string.Join("\n", problems));
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_job_page_with_its_send_to_and_copy_link_controls_open_passes_axe(ColorScheme scheme)
    {
        await Samp.SampResults.AssertNoHubAsync();
        using (var admin = fixture.Server.AdminClient())
            await Samp.SampResults.PublishAsync(admin);
        await using var session = await OpenAsync(fixture);
        var page = session.Page;
        await page.EmulateMediaAsync(new() { ColorScheme = scheme });
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.Server.BaseUri.GetLeftPart(UriPartial.Authority) });
        await session.SignInAsync();
        await session.GoAsync($"#/new/{Samp.SampResults.Definition}");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        var problems = new List<string>();
        await AssertAccessibleAsync(page, "job page with Send to and Copy link", problems);

        // Opened: the no-hub message, a copied link's confirmation, the provenance documents' own links.
        var votable = page.Locator("[data-result='votable']");
        await votable.GetByRole(AriaRole.Button, new() { Name = "Send to…" }).ClickAsync();
        await Expect(votable.GetByRole(AriaRole.Alert)).ToContainTextAsync("No SAMP hub is running");
        await votable.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await Expect(votable.GetByTestId("link-copied")).ToBeVisibleAsync();
        await page.GetByText("Provenance documents").ClickAsync();
        await page.Locator("[data-result='provjson']").GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await Expect(page.Locator("[data-result='provjson']").GetByTestId("link-copied")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "job page, controls open", problems);
        await session.ScreenshotAsync($"job-links-{scheme.ToString().ToLowerInvariant()}");

        Assert.True(problems.Count == 0, "axe found:\n" + string.Join("\n", problems));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Keyboard_focus_is_visible_on_links_buttons_and_inputs()
    {
        await using var session = await OpenAsync(fixture);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync("#/new/copy");
        await Expect(page.GetByLabel("text")).ToBeVisibleAsync();
        var seen = new HashSet<string>();
        // Tab through the page (bounded): every element that takes focus shows it.
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focus = await page.EvaluateAsync<JsonElement>("""
                () => {
                  const el = document.activeElement;
                  if (!el || el === document.body) return null;
                  const style = getComputedStyle(el);
                  const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
                  return { tag: el.tagName.toLowerCase(), name: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30) || el.name || el.id, visible };
                }
                """);
            if (focus.ValueKind == JsonValueKind.Null)
                continue;
            var tag = focus.GetProperty("tag").GetString()!;
            seen.Add(tag);
            Assert.True(focus.GetProperty("visible").GetBoolean(), $"focus is not visible on <{tag}> '{focus.GetProperty("name").GetString()}'");
        }

        Assert.Contains("a", seen);
        Assert.Contains("input", seen);
        Assert.Contains("button", seen);
        session.AssertNoErrors();
    }
}
