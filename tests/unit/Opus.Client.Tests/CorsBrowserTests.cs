using System.Net;
using System.Text;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Client.Tests;

/// <summary>
/// Two portal pages served on other loopback origins (one listed in Opus:Cors:Origins, one not) and an Opus server
/// that needs credentials; Chromium runs the pages' fetches, so the browser's own CORS checks decide.
/// </summary>
public sealed class CorsPortalFixture : IAsyncLifetime
{
    private readonly HttpListener _portal = new();
    private Task _serving = Task.CompletedTask;

    public string ListedOrigin { get; } = $"http://127.0.0.1:{OpusServer.FreePort()}";

    public string OtherOrigin { get; } = $"http://127.0.0.1:{OpusServer.FreePort()}";

    public OpusServer Server { get; private set; } = null!;

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _portal.Prefixes.Add(ListedOrigin + "/");
        _portal.Prefixes.Add(OtherOrigin + "/");
        _portal.Start();
        _serving = ServePortalAsync();
        Server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:Cors:Origins:0"] = ListedOrigin,
        });
        (Playwright, Browser) = await BrowserFixture.LaunchAsync();
    }

    // A plain page: the test runs its fetch in the page, from the page's origin.
    private async Task ServePortalAsync()
    {
        var page = Encoding.UTF8.GetBytes("<!doctype html><html><head><title>portal</title></head><body>portal</body></html>");
        while (_portal.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _portal.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.OutputStream.WriteAsync(page);
            context.Response.Close();
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        _portal.Stop();
        _portal.Close();
        await _serving;
    }
}

public sealed class CorsBrowserTests(CorsPortalFixture fixture) : IClassFixture<CorsPortalFixture>
{
    // Runs in the page: the job list with a bearer token; the status and body, or the browser's refusal.
    private const string FetchJobList = """
        async ([url, token]) => {
            try {
                const response = await fetch(url, { headers: { Authorization: 'Bearer ' + token, Accept: 'application/xml' } });
                return { status: response.status, body: await response.text() };
            } catch (e) {
                return { status: 0, body: String(e) };
            }
        }
        """;

    // Playwright fills it by its properties (it needs a parameterless constructor).
    private sealed class Answer
    {
        public int Status { get; set; }

        public string Body { get; set; } = "";
    }

    private async Task<Answer> FetchFromAsync(string origin)
    {
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(origin + "/portal.html");
        return await page.EvaluateAsync<Answer>(FetchJobList, new[] { new Uri(fixture.Server.BaseUri, "/rest/copy").ToString(), OpusServer.AdminToken });
    }

    [Fact]
    public async Task A_page_on_a_listed_origin_reads_the_job_list_with_a_token()
    {
        var answer = await FetchFromAsync(fixture.ListedOrigin);

        Assert.True(answer.Status == 200, $"status {answer.Status}: {answer.Body}");
        Assert.Contains("http://www.ivoa.net/xml/UWS/v1.0", answer.Body);
    }

    [Fact]
    public async Task A_page_on_another_origin_is_refused_by_the_browser()
    {
        var answer = await FetchFromAsync(fixture.OtherOrigin);

        Assert.Equal(0, answer.Status);
        Assert.Contains("Failed to fetch", answer.Body);
    }
}
