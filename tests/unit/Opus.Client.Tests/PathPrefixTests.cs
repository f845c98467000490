using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>Behind a proxy that serves Opus under /opus/ (Opus:PathBase), the client asks for everything under that prefix.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PathPrefixTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Under_a_path_prefix_the_client_signs_in_lists_jobs_and_streams_events_under_the_prefix()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:PathBase"] = "/opus",
        });
        await using var session = await ClientSession.OpenAsync(fixture.Browser, server);
        var page = session.Page;
        var requested = new List<string>();
        page.Request += (_, request) =>
        {
            lock (requested)
                requested.Add(new Uri(request.Url).AbsolutePath);
        };

        await page.GotoAsync("/opus/client/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("API token").FillAsync(OpusServer.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("who")).ToContainTextAsync("admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await Eventually.HoldsAsync(() =>
        {
            lock (requested)
                return requested.Contains("/opus/events") && requested.Contains("/opus/me");
        }, "the client's /me and event stream asked for under /opus");

        lock (requested)
            Assert.All(requested, path => Assert.StartsWith("/opus/", path, StringComparison.Ordinal));
        session.AssertNoErrors();
    }
}
