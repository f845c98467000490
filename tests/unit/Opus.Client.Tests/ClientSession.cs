using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// A browser tab on the client: its own context, every script error and dialog recorded (a test
/// fails on either: an alert would be an XSS), screenshots by name.
/// </summary>
public sealed class ClientSession : IAsyncDisposable
{
    private readonly List<string> _errors = [];

    private ClientSession(IBrowserContext context, IPage page, OpusServer server)
    {
        Context = context;
        Page = page;
        Server = server;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public OpusServer Server { get; }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
                return [.. _errors];
        }
    }

    /// <summary>The bound of a wait for a job to change phase on the page.</summary>
    public const float EventTimeout = 120_000;

    public static async Task<ClientSession> OpenAsync(IBrowser browser, OpusServer server)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseUri.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            AcceptDownloads = true,
        });
        // Upper bounds only (each wait ends when its condition holds), for a machine whose load average is 10.
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        SetDefaultExpectTimeout(60_000);
        var page = await context.NewPageAsync();
        var session = new ClientSession(context, page, server);
        page.PageError += (_, error) => session.Record($"page error: {error}");
        page.Console += (_, message) =>
        {
            // A failed request (a 4xx the test provokes) is logged by Chromium as a console error; only script errors count.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                session.Record($"console error: {message.Text}");
        };
        page.Dialog += async (_, dialog) =>
        {
            session.Record($"dialog ({dialog.Type}): {dialog.Message}");
            await dialog.DismissAsync();
        };
        return session;
    }

    private void Record(string error)
    {
        lock (_errors)
            _errors.Add(error);
    }

    /// <summary>Opens the client, signs in through its form, waits for the job list.</summary>
    public async Task SignInAsync(string user = "admin", string token = OpusServer.AdminToken)
    {
        await Page.GotoAsync("/client/");
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        await Page.GetByLabel("User name").FillAsync(user);
        await Page.GetByLabel("API token").FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(Page.GetByTestId("who")).ToContainTextAsync(user);
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
    }

    public Task GoAsync(string hash) => Page.GotoAsync($"/client/{hash}");

    /// <summary>Saves a full-page screenshot as screenshots/NAME.png.</summary>
    public async Task ScreenshotAsync(string name)
    {
        // Let transient toasts fade so they do not hide the page (they are not part of it).
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, $"{name}.png"), FullPage = true });
    }

    /// <summary>The job id in the current URL (#/job/DEF/ID).</summary>
    public string CurrentJobId()
    {
        var match = Regex.Match(Page.Url, "#/job/[^/]+/([^/?]+)");
        Assert.True(match.Success, $"not on a job page: {Page.Url}");
        return Uri.UnescapeDataString(match.Groups[1].Value);
    }

    public void AssertNoErrors() => Assert.True(Errors.Count == 0, "the page reported errors:\n" + string.Join("\n", Errors));

    public async ValueTask DisposeAsync() => await Context.DisposeAsync();
}
