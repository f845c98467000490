using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// examples/portal served by a second Kestrel on its own origin (listed in Opus:Cors:Origins), loading
/// /client/lib/opus-uws.js from an Opus server that needs credentials; Chromium drives it end to end.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    private WebApplication? _portal;

    public string PortalOrigin { get; } = $"http://127.0.0.1:{OpusServer.FreePort()}";

    public OpusServer Server { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(PortalOrigin);
        _portal = builder.Build();
        _portal.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.Combine(OpusServer.RepositoryRoot, "examples", "portal")) });
        await _portal.StartAsync();
        Server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:KillGraceSeconds"] = "1",
            ["Opus:Cors:Origins:0"] = PortalOrigin,
        });
        (Playwright, Browser) = await BrowserFixture.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        if (_portal is not null)
            await _portal.DisposeAsync();
    }
}

public sealed class PortalExampleTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private static readonly string ModulePath = Path.Combine(OpusServer.RepositoryRoot, "src", "Opus.Server", "wwwroot", "lib", "opus-uws.js");

    [Fact]
    public async Task The_module_is_served_as_JavaScript_with_CORS_for_a_listed_origin_only()
    {
        using var listed = new HttpRequestMessage(HttpMethod.Get, "/client/lib/opus-uws.js") { Headers = { { "Origin", fixture.PortalOrigin } } };
        using var answer = await fixture.Server.Client.SendAsync(listed);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("text/javascript", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal(fixture.PortalOrigin, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = new HttpRequestMessage(HttpMethod.Get, "/client/lib/opus-uws.js") { Headers = { { "Origin", $"http://127.0.0.1:{OpusServer.FreePort()}" } } };
        using var refused = await fixture.Server.Client.SendAsync(other);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_version_is_exported_and_in_the_header_comment()
    {
        var source = await File.ReadAllTextAsync(ModulePath);
        var exported = Regex.Match(source, @"export const VERSION = '(\d+\.\d+\.\d+)';").Groups[1].Value;
        var header = Regex.Match(source, @"^/\*\*\s*\n \* opus-uws\.js (\d+\.\d+\.\d+):").Groups[1].Value;

        Assert.NotEmpty(exported);
        Assert.Equal(exported, header);
    }

    [Fact]
    public async Task A_portal_on_another_origin_creates_runs_waits_links_follows_aborts_and_deletes()
    {
        var version = Regex.Match(await File.ReadAllTextAsync(ModulePath), @"export const VERSION = '([^']+)'").Groups[1].Value;
        await using var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(60_000);
        var errors = new List<string>();
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                lock (errors) errors.Add(message.Text);
        };

        await page.GotoAsync($"{fixture.PortalOrigin}/index.html?opus={Uri.EscapeDataString(fixture.Server.BaseUri.ToString())}");
        await page.GetByLabel("Token").FillAsync(OpusServer.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync($"Signed in to {fixture.Server.BaseUri.ToString().TrimEnd('/')} as admin (opus-uws {version})");

        // A job with a parameter, created PENDING, then run and waited for (UWS WAIT).
        await page.GetByLabel("Definition").FillAsync("copy");
        await page.GetByLabel("Parameters").FillAsync("text=Hello from the portal");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        var job = page.Locator("article.job").First;
        await Expect(job.Locator(".phase")).ToHaveTextAsync("PENDING");
        var id = await job.GetAttributeAsync("data-job");
        Assert.False(string.IsNullOrEmpty(id));
        using (var admin = fixture.Server.AdminClient())
            Assert.Contains("Hello from the portal", await admin.GetStringAsync($"/rest/copy/{id}/parameters/text"));

        await job.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await job.GetByRole(AriaRole.Button, new() { Name = "Wait" }).ClickAsync();
        await Expect(job.Locator(".phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });

        // The phase changes arrived on the event stream too.
        await Expect(page.Locator($"#events li[data-job='{id}']").Filter(new() { HasText = "COMPLETED" })).ToHaveCountAsync(1);
        await Expect(page.Locator($"#events li[data-job='{id}']").Filter(new() { HasText = "EXECUTING" }).Or(
            page.Locator($"#events li[data-job='{id}']").Filter(new() { HasText = "QUEUED" })).First).ToBeVisibleAsync();

        // The result, read with the token, and a signed link that works with no credentials at all.
        await job.GetByRole(AriaRole.Button, new() { Name = "Results" }).ClickAsync();
        await job.GetByRole(AriaRole.Button, new() { Name = "Show output" }).ClickAsync();
        await Expect(job.Locator("[data-result=output] pre")).ToHaveTextAsync("Hello from the portal");
        await job.GetByRole(AriaRole.Button, new() { Name = "Link output" }).ClickAsync();
        var link = await job.Locator("a.signed").GetAttributeAsync("href");
        Assert.StartsWith($"{fixture.Server.BaseUri}rest/copy/{id}/results/output?sig=", link);
        using (var anybody = new HttpClient())
            Assert.Equal("Hello from the portal", await anybody.GetStringAsync(link));

        // Another job, started at once and aborted while it sleeps.
        await page.GetByLabel("Definition").FillAsync("sleep");
        await page.GetByLabel("Parameters").FillAsync("seconds=600");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        var sleeper = page.Locator("article.job").First;
        await Expect(sleeper).Not.ToHaveAttributeAsync("data-job", id!);
        var sleeperId = await sleeper.GetAttributeAsync("data-job");
        await sleeper.GetByRole(AriaRole.Button, new() { Name = "Abort" }).ClickAsync();
        await Expect(sleeper.Locator(".phase")).ToHaveTextAsync("ABORTED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.Locator($"#events li[data-job='{sleeperId}']").Filter(new() { HasText = "ABORTED" })).ToHaveCountAsync(1);

        // The list shows both; deleting the first removes it on the server.
        await page.GetByRole(AriaRole.Button, new() { Name = "List my jobs" }).ClickAsync();
        await Expect(page.Locator("#total")).ToHaveTextAsync("2 jobs");
        await page.Locator($"article.job[data-job='{id}']").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Locator($"article.job[data-job='{id}']")).ToHaveCountAsync(0);
        await Expect(page.Locator($"#events li[data-job='{id}']").Filter(new() { HasText = "deleted" })).ToHaveCountAsync(1);
        using (var admin = fixture.Server.AdminClient())
        using (var gone = await admin.GetAsync($"/rest/copy/{id}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "portal-example.png"), FullPage = true });
        lock (errors)
            Assert.Empty(errors);
    }
}
