using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>Markup in a parameter value, a run id, a result and a definition's description shows as text and runs nothing.</summary>
[Collection(BrowserCollection.Name)]
public sealed class XssTests(BrowserFixture fixture)
{
    private const string Payload = "<img src=x onerror=\"window.__xss=1;alert(1)\"><script>window.__xss=2</script>";

    [Fact]
    public async Task Markup_from_the_server_is_shown_as_text_everywhere()
    {
        var admin = fixture.Server.AdminClient();
        var jobPath = await admin.CreateJobAsync("copy", ("text", Payload), ("RUNID", Payload), ("PHASE", "RUN"));
        await admin.WaitForFinalAsync(jobPath);
        var jobId = jobPath[(jobPath.LastIndexOf('/') + 1)..];

        var name = $"xss{Guid.NewGuid():N}"[..10];
        var definition = $$"""
            {"name": "{{name}}", "version": "1", "description": {{Json(Payload)}},
             "parameters": [{"name": "p", "type": "xs:string", "required": true, "description": {{Json(Payload)}}, "options": [{{Json("<b>bold</b>")}}, "plain"]}],
             "generated": [{"name": "output", "file": "output.txt", "contentType": "text/plain"}],
             "script": "echo hi > output.txt"}
            """;
        using (var content = new StringContent(definition, Encoding.UTF8, "application/json"))
        using (var created = await admin.PostAsync("/jdl?publish=true", content))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();

        await session.GoAsync("#/jobs?definition=copy");
        var row = page.Locator($"tr[data-id='{jobId}']");
        await Expect(row).ToContainTextAsync(Payload);

        await session.GoAsync($"#/job/copy/{jobId}");
        await Expect(page.GetByTestId("param-text")).ToHaveTextAsync(Payload);
        await Expect(page.GetByTestId("job-summary")).ToContainTextAsync(Payload);
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync(Payload);
        // The provenance graph names the parameter value too: rebuilt from a whitelist, it stays text.
        await page.GetByTestId("prov-show").ClickAsync();
        await Expect(page.GetByTestId("prov-graph").Or(page.GetByTestId("prov-missing"))).ToBeVisibleAsync();
        await session.ScreenshotAsync("12-xss-job-detail");

        await session.GoAsync($"#/new/{name}");
        await Expect(page.GetByText(Payload).First).ToBeVisibleAsync();
        await Expect(page.Locator("option", new() { HasText = "<b>bold</b>" })).ToHaveCountAsync(1);
        await session.GoAsync("#/definitions");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Job definitions" })).ToContainTextAsync(Payload);
        await session.GoAsync($"#/definitions/{name}");
        await Expect(page.GetByLabel("Description", new() { Exact = true }).First).ToHaveValueAsync(Payload);
        await session.ScreenshotAsync("13-xss-definition");

        // Nothing ran: no flag, no dialog, no element made from the markup.
        Assert.Null(await page.EvaluateAsync<int?>("window.__xss ?? null"));
        Assert.Equal(0, await page.Locator("img[src='x']").CountAsync());
        Assert.Equal(0, await page.Locator("main script").CountAsync());
        session.AssertNoErrors();
    }

    [Fact]
    public async Task The_client_pages_carry_a_content_security_policy_without_inline_script()
    {
        using var client = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        using var response = await client.GetAsync("/client/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy);
        Assert.DoesNotContain("unsafe-inline", policy.Split(';').First(p => p.Trim().StartsWith("script-src", StringComparison.Ordinal)));
        Assert.Contains("frame-ancestors 'none'", policy);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotMatch(@"\son[a-z]+\s*=", html);

        // API answers (a job's HTML or SVG result opened directly) are sandboxed.
        var admin = fixture.Server.AdminClient();
        using var list = await admin.GetAsync("/rest/copy");
        Assert.StartsWith("sandbox", string.Join(" ", list.Headers.GetValues("Content-Security-Policy")));
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
