using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// How the client looks: headers in the case they are written, light and dark schemes (the system's
/// preference or the header's toggle, remembered), a phone-wide layout without sideways scrolling,
/// disabled buttons that look disabled; every page checked by axe and photographed in both schemes at
/// 1280 and 390 px (screenshots/PAGE-SCHEME-WIDTH.png).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LooksTests(BrowserFixture fixture)
{
    private const string LightBackground = "rgb(246, 247, 249)";
    private const string DarkBackground = "rgb(18, 22, 28)";

    private static Task<string> BodyBackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    /// <summary>A finished 'copy' job, made through the form; the page is left on the job.</summary>
    private static async Task FinishedJobAsync(ClientSession session, string text)
    {
        var page = session.Page;
        await session.GoAsync("#/new/copy");
        await page.GetByLabel("text").FillAsync(text);
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
    }

    [Fact]
    public async Task Table_headers_keep_the_case_they_are_written_in()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await Expect(page.Locator("[data-testid='job-table'] thead th").First).ToBeVisibleAsync();
        // innerText is the text as rendered, text-transform applied.
        var headers = await page.EvaluateAsync<JsonElement>("""
            () => [...document.querySelectorAll("[data-testid='job-table'] thead th")]
              .map(th => ({ text: th.innerText.trim(), transform: getComputedStyle(th).textTransform }))
            """);
        var texts = headers.EnumerateArray().Select(h => h.GetProperty("text").GetString()).ToList();
        foreach (var name in new[] { "Job", "Definition", "Run ID", "Phase", "Actions" })
            Assert.Contains(name, texts);
        foreach (var header in headers.EnumerateArray())
            Assert.Equal("none", header.GetProperty("transform").GetString());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_CSV_results_headers_show_their_units_in_the_case_they_are_written()
    {
        const string Definition = """
            name: looks-spectrum
            version: "1.0"
            description: A spectrum as CSV, its units in mixed case.
            executionDuration: 60
            generated:
              - name: spectrum
                file: spectrum.csv
                contentType: text/csv
            script: |
              printf 'wavelength [Angstrom],flux [mJy]\n6563,1.5\n' > spectrum.csv
            """;
        using (var admin = fixture.Server.AdminClient())
        using (var response = await admin.PutAsync("/jdl/looks-spectrum?publish=true", new StringContent(Definition, System.Text.Encoding.UTF8, "application/yaml")))
            Assert.True(response.IsSuccessStatusCode, $"PUT /jdl/looks-spectrum: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync("#/new/looks-spectrum");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        // A CSV opens as a plot; its table is one click away.
        await page.GetByTestId("job-results").GetByRole(AriaRole.Button, new() { Name = "Table", Exact = true }).ClickAsync();
        var headers = page.GetByTestId("job-results").GetByTestId("preview-table").Locator("thead th");
        await Expect(headers).ToHaveCountAsync(2);
        // innerText: the text as shown, text-transform applied.
        Assert.Equal("wavelength [Angstrom]", await headers.Nth(0).EvaluateAsync<string>("th => th.innerText.trim()"));
        Assert.Equal("flux [mJy]", await headers.Nth(1).EvaluateAsync<string>("th => th.innerText.trim()"));
        Assert.Equal("none", await headers.Nth(1).EvaluateAsync<string>("th => getComputedStyle(th).textTransform"));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task The_toggle_switches_the_scheme_and_the_choice_survives_a_reload()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        await session.SignInAsync();
        var toggle = page.GetByRole(AriaRole.Button, new() { Name = "Dark mode" });
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        Assert.Equal(LightBackground, await BodyBackgroundAsync(page));

        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal(DarkBackground, await BodyBackgroundAsync(page));
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal(DarkBackground, await BodyBackgroundAsync(page));

        // Light chosen on a system that prefers dark: the choice wins, after a reload too.
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        Assert.Equal(LightBackground, await BodyBackgroundAsync(page));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Without_a_choice_the_scheme_follows_the_system()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Dark });
        await page.GotoAsync("/client/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        Assert.Equal(DarkBackground, await BodyBackgroundAsync(page));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Dark mode" })).ToHaveAttributeAsync("aria-pressed", "true");
        await page.EmulateMediaAsync(new() { ColorScheme = ColorScheme.Light });
        Assert.Equal(LightBackground, await BodyBackgroundAsync(page));
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Dark mode" })).ToHaveAttributeAsync("aria-pressed", "false");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task At_390_px_the_job_list_shows_phase_and_actions_without_sideways_scrolling()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await FinishedJobAsync(session, "A narrow sky");
        var id = session.CurrentJobId();
        await page.SetViewportSizeAsync(390, 844);
        await session.GoAsync("#/jobs");
        var row = page.Locator($"tr[data-id='{id}']");
        await Expect(row).ToBeVisibleAsync();
        var fit = await page.EvaluateAsync<JsonElement>("""
            id => {
              const row = document.querySelector(`tr[data-id='${id}']`);
              const inside = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; };
              return {
                scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
                phase: inside(row.querySelector('.phase')),
                actions: inside(row.querySelector('td.actions')),
                buttons: [...row.querySelectorAll('td.actions button')].every(inside),
              };
            }
            """, id);
        Assert.True(fit.GetProperty("scrollWidth").GetInt32() <= fit.GetProperty("clientWidth").GetInt32(), $"the page scrolls sideways: {fit}");
        Assert.True(fit.GetProperty("phase").GetBoolean(), "the phase is off-screen");
        Assert.True(fit.GetProperty("actions").GetBoolean(), "the actions are off-screen");
        Assert.True(fit.GetProperty("buttons").GetBoolean(), "an action button is off-screen");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Delete job {id}" })).ToBeInViewportAsync();
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task A_disabled_start_button_does_not_look_like_an_active_primary_button(ColorScheme scheme)
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await page.EmulateMediaAsync(new() { ColorScheme = scheme });
        await session.SignInAsync();
        await FinishedJobAsync(session, "A finished sky");
        var start = page.GetByRole(AriaRole.Button, new() { Name = "Start", Exact = true });
        await Expect(start).ToBeDisabledAsync();
        await Expect(start).ToHaveAttributeAsync("disabled", "");
        Assert.Contains("primary", await start.GetAttributeAsync("class") ?? "");
        // The same button, enabled: a copy outside the page's flow, styled by the same rules. A live update may paint
        // the controls anew between finding the button and measuring it: then it is found again.
        JsonElement styles = default;
        for (var attempt = 0; attempt < 20 && styles.ValueKind != JsonValueKind.Object; attempt++)
        {
            styles = await start.EvaluateAsync<JsonElement>("""
                disabled => {
                  if (!disabled.isConnected) return null;
                  const enabled = disabled.cloneNode(true);
                  enabled.disabled = false;
                  disabled.parentNode.append(enabled);
                  const look = el => { const s = getComputedStyle(el); return { background: s.backgroundColor, color: s.color, border: s.borderTopColor, opacity: s.opacity }; };
                  const result = { disabled: look(disabled), enabled: look(enabled) };
                  enabled.remove();
                  return result;
                }
                """);
        }

        Assert.Equal(JsonValueKind.Object, styles.ValueKind);
        var disabled = styles.GetProperty("disabled");
        var enabled = styles.GetProperty("enabled");
        Assert.NotEqual(enabled.GetProperty("background").GetString(), disabled.GetProperty("background").GetString());
        Assert.NotEqual(enabled.GetProperty("color").GetString(), disabled.GetProperty("color").GetString());
        session.AssertNoErrors();
    }

    private sealed record Page(string Name, string Hash, Func<IPage, Task> Ready);

    [Fact]
    public async Task Every_page_passes_axe_in_both_schemes_fits_390_px_and_is_photographed()
    {
        await using var session = await AccessibilityTests.OpenAsync(fixture);
        var page = session.Page;
        var problems = new List<string>();
        var variants = new[] { (ColorScheme.Light, 1280), (ColorScheme.Dark, 1280), (ColorScheme.Light, 390), (ColorScheme.Dark, 390) };

        async Task CheckAsync(string name, ColorScheme scheme, int width)
        {
            var what = $"{name}-{scheme.ToString().ToLowerInvariant()}-{width}";
            foreach (var violation in await AccessibilityTests.ViolationsAsync(page))
                problems.Add($"{what}: {violation}");
            var (scrollWidth, clientWidth) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => document.documentElement.clientWidth"));
            if (scrollWidth > clientWidth)
                problems.Add($"{what}: the page scrolls sideways ({scrollWidth} > {clientWidth} px)");
            await session.ScreenshotAsync(what);
        }

        async Task VariantAsync(ColorScheme scheme, int width)
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EmulateMediaAsync(new() { ColorScheme = scheme });
        }

        foreach (var (scheme, width) in variants)
        {
            await VariantAsync(scheme, width);
            await page.GotoAsync("/client/");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
            await CheckAsync("signin", scheme, width);
        }

        await VariantAsync(ColorScheme.Light, 1280);
        await session.SignInAsync();
        await FinishedJobAsync(session, "A sky by day and by night");
        var jobHash = "#" + page.Url.Split('#')[1];

        var pages = new[]
        {
            new Page("job-detail", jobHash, p => Expect(p.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("A sky by day and by night")),
            new Page("job-list", "#/jobs", p => Expect(p.Locator("tbody tr").First).ToBeVisibleAsync()),
            // The list with its filters applied and a selection: the bulk actions' bar is showing.
            new Page("job-list-selected", "#/jobs?runIdMatch=prefix&runId=&param=text%3DA%20sky%20by%20day%20and%20by%20night", async p =>
            {
                await Expect(p.Locator("tbody tr[data-id]")).ToHaveCountAsync(1);
                await p.GetByTestId("select-page").CheckAsync();
                await Expect(p.GetByTestId("selected-count")).ToHaveTextAsync("1 selected");
            }),
            new Page("job-form", "#/new/sleep", p => Expect(p.GetByRole(AriaRole.Heading, new() { Name = "New job: sleep" })).ToBeVisibleAsync()),
            new Page("definitions", "#/definitions", p => Expect(p.GetByRole(AriaRole.Link, new() { Name = "sleep", Exact = true })).ToBeVisibleAsync()),
            new Page("definition-editor", "#/definitions/copy", p => Expect(p.GetByTestId("versions")).ToBeVisibleAsync()),
            new Page("admin", "#/admin", p => Expect(p.Locator("tr[data-user='admin']")).ToBeVisibleAsync()),
        };
        foreach (var (scheme, width) in variants)
        {
            await VariantAsync(scheme, width);
            foreach (var shown in pages)
            {
                await session.GoAsync(shown.Hash);
                await shown.Ready(page);
                await CheckAsync(shown.Name, scheme, width);
            }
        }

        Assert.True(problems.Count == 0, "found:\n" + string.Join("\n", problems));
        session.AssertNoErrors();
    }
}
