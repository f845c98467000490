using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Client.Tests;

/// <summary>
/// One real Opus server (anonymous access off: the client must sign in) and one headless Chromium
/// (Debian's, never a downloaded build) shared by the browser tests; each test gets its own
/// browser context, so its token and storage are its own.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public static readonly string[] ChromiumArguments =
        ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public OpusServer Server { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the page screenshots go, for a reviewer to look at: bin/&lt;configuration&gt;/net10.0/screenshots.</summary>
    public static string ScreenshotFolder { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    /// <summary>OPUS_CHROMIUM, or Debian's /usr/bin/chromium (scripts/test.sh installs it).</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("OPUS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Server = await StartServerAsync();
        (Playwright, Browser) = await LaunchAsync();
    }

    public static Task<OpusServer> StartServerAsync(string? dataPath = null) =>
        OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:KillGraceSeconds"] = "1",
            // The editor test's input URL points at this machine; the server must refuse it, as by default.
            ["Opus:Inputs:AllowPrivateAddresses"] = "false",
        }, dataPath);

    public static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"no Chromium at {ChromiumPath}: run scripts/test.sh (it installs Debian's chromium) or set OPUS_CHROMIUM");
        // The driver ships in the NuGet package; browsers are never downloaded.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Args = ChromiumArguments,
            Timeout = 60_000,
        });
        return (playwright, browser);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
