using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Playwright;
using Opus.Client.Tests.Samp;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// "Send to" on the job page, against a real SAMP hub (astropy's, Web Profile on localhost:21012, its consent
/// dialog answering for the server's origin only) and real receiving clients that download what they are sent.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SampTests(BrowserFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("opus-samp-").FullName;

    private string LockFile => Path.Combine(_folder, "samp.lock");

    private string Origin => fixture.Server.BaseUri.GetLeftPart(UriPartial.Authority);

    private async Task<(ClientSession Session, string JobId)> CompletedJobPageAsync()
    {
        using (var admin = fixture.Server.AdminClient())
            await SampResults.PublishAsync(admin);
        var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync($"#/new/{SampResults.Definition}");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        return (session, session.CurrentJobId());
    }

    private static ILocator Card(IPage page, string result) => page.Locator($"[data-result='{result}']");

    [Fact]
    public async Task Send_to_gives_the_chosen_client_a_signed_link_that_it_downloads_byte_for_byte()
    {
        await SampResults.AssertNoHubAsync();
        await using var hub = await SampProcess.StartHubAsync(LockFile, Origin);
        var skyFolder = Directory.CreateDirectory(Path.Combine(_folder, "sky")).FullName;
        await using var sky = await SampProcess.StartClientAsync(LockFile, "Sky Viewer", skyFolder,
            "table.load.votable", "table.load.fits", "image.load.fits", "table.load.stil");
        // Takes images only: offered for the FITS image, not for the tables.
        await using var imager = await SampProcess.StartClientAsync(LockFile, "Image Viewer", Directory.CreateDirectory(Path.Combine(_folder, "imager")).FullName,
            "image.load.fits");
        var (session, jobId) = await CompletedJobPageAsync();
        await using var _ = session;
        var page = session.Page;
        using var admin = fixture.Server.AdminClient();

        foreach (var (result, mtype, format, alsoOffered) in new[]
        {
            ("votable", "table.load.votable", (string?)null, false),
            ("csv", "table.load.stil", "csv", false),
            ("image", "image.load.fits", null, true),
            ("catalogue", "table.load.fits", null, false),
        })
        {
            var card = Card(page, result);
            await card.GetByRole(AriaRole.Button, new() { Name = "Send to…" }).ClickAsync();
            var list = card.GetByRole(AriaRole.List, new() { Name = $"Send {result} to:" });
            await Expect(list.GetByRole(AriaRole.Button, new() { Name = "Sky Viewer" })).ToBeVisibleAsync();
            await Expect(list.GetByRole(AriaRole.Button, new() { Name = "Image Viewer" })).ToHaveCountAsync(alsoOffered ? 1 : 0);
            if (result == "image")
                await session.ScreenshotAsync("samp-send-to");
            await list.GetByRole(AriaRole.Button, new() { Name = "Sky Viewer" }).ClickAsync();
            await Expect(card.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Sent {result} to Sky Viewer.");

            using var received = JsonDocument.Parse(await sky.NextLineAsync(line => line.StartsWith('{'), $"Sky Viewer to receive {result}"));
            var message = received.RootElement;
            Assert.False(message.TryGetProperty("error", out var error), $"Sky Viewer could not load {result}: {error}");
            Assert.Equal(mtype, message.GetProperty("mtype").GetString());
            Assert.Equal(format, message.GetProperty("format").GetString());
            // A signed link to this result: the client downloaded it with no credentials.
            var url = new Uri(message.GetProperty("url").GetString()!);
            Assert.Equal($"/rest/{SampResults.Definition}/{jobId}/results/{result}", url.AbsolutePath);
            Assert.Contains("sig=", url.Query);
            var expected = await admin.GetByteArrayAsync($"/rest/{SampResults.Definition}/{jobId}/results/{result}");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), message.GetProperty("sha256").GetString());
            Assert.Equal(expected, await File.ReadAllBytesAsync(message.GetProperty("file").GetString()!));
            // And it read them as what they were sent as: the one row of each table, the 2 x 2 image.
            Assert.Equal(result == "image" ? """{"shape":[2,2]}""" : """{"rows":1}""", message.GetProperty("loaded").GetRawText().Replace(" ", ""));
        }

        // The hub asked its user (the dialog) about this page once, for the server's origin.
        await hub.NextLineAsync(line => line == $"asked Opus {Origin} accepted", "the hub to ask about this page");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task Send_to_says_when_no_hub_runs_and_when_the_hub_refuses_the_page()
    {
        await SampResults.AssertNoHubAsync();
        var (session, _) = await CompletedJobPageAsync();
        await using var _ = session;
        var page = session.Page;
        var card = Card(page, "votable");
        var sendTo = card.GetByRole(AriaRole.Button, new() { Name = "Send to…" });

        await sendTo.ClickAsync();
        await Expect(card.GetByRole(AriaRole.Alert)).ToContainTextAsync("No SAMP hub is running on this computer");
        await Expect(sendTo).ToHaveAttributeAsync("aria-expanded", "true");
        await sendTo.ClickAsync();
        await Expect(card.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);

        // A hub whose user accepts another origin only.
        await using var hub = await SampProcess.StartHubAsync(LockFile, "http://portal.example.org");
        await sendTo.ClickAsync();
        await Expect(card.GetByRole(AriaRole.Alert)).ToContainTextAsync("The SAMP hub refused this page");
        await hub.NextLineAsync(line => line == $"asked Opus {Origin} refused", "the hub to refuse this page");
        session.AssertNoErrors();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
