using System.Net;
using System.Text;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>The job page of a running job: its progress bar moves and its stdout grows as the script goes on, without a reload.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ProgressPageTests(BrowserFixture fixture)
{
    private const string Definition = "progress-page";

    private static readonly string Yaml = $$"""
        name: {{Definition}}
        version: "1"
        description: Reports progress and writes to stdout in two steps, each after the test's gate.
        executionDuration: 600
        parameters:
          - name: gate1
            type: xs:string
            required: true
          - name: gate2
            type: xs:string
            required: true
        script: |
          opus_progress 10 "reading observations"
          echo "first line"
          {{Gate.WaitCommand("\"$gate1\"")}}
          opus_progress 60 "fitting the model"
          echo "second line"
          echo "to stderr" >&2
          {{Gate.WaitCommand("\"$gate2\"")}}
        """;

    [Fact]
    public async Task The_progress_bar_moves_and_stdout_grows_while_the_job_runs_and_stays_accessible()
    {
        await PublishAsync();
        await using var session = await AccessibilityTests.OpenAsync(fixture);
        var page = session.Page;
        await session.SignInAsync();
        using var first = new Gate();
        using var second = new Gate();
        using var admin = fixture.Server.AdminClient();
        var job = await admin.CreateJobAsync(Definition, ("gate1", first.FilePath), ("gate2", second.FilePath), ("PHASE", "RUN"));
        var id = job[(job.LastIndexOf('/') + 1)..];

        await session.GoAsync($"#/job/{Definition}/{id}");
        await page.EvaluateAsync("window.__notReloaded = true");
        var bar = page.GetByTestId("progress-bar");
        await Expect(bar).ToHaveAttributeAsync("value", "10", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = "Job progress" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("progress-message")).ToHaveTextAsync("reading observations");
        await page.GetByText("stdout", new() { Exact = true }).ClickAsync();
        var stdout = page.GetByTestId("log-stdout");
        await Expect(stdout).ToHaveTextAsync("first line\n", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("EXECUTING");

        var problems = new List<string>();
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.EmulateMediaAsync(new() { ColorScheme = scheme });
            problems.AddRange((await AccessibilityTests.ViolationsAsync(page)).Select(v => $"{scheme}: {v}"));
        }

        await session.ScreenshotAsync("progress-running");
        Assert.True(problems.Count == 0, "axe found:\n" + string.Join("\n", problems));

        // The script goes on: the bar and the open stdout follow, the page is not reloaded.
        first.Open();
        await Expect(bar).ToHaveAttributeAsync("value", "60", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("progress-message")).ToHaveTextAsync("fitting the model");
        await Expect(stdout).ToHaveTextAsync("first line\nsecond line\n", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("EXECUTING");

        second.Open();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(bar).ToHaveAttributeAsync("value", "60");
        await Expect(stdout).ToHaveTextAsync("first line\nsecond line\n");
        await page.GetByText("stderr", new() { Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("log-stderr")).ToHaveTextAsync("to stderr\n");
        Assert.True(await page.EvaluateAsync<bool>("window.__notReloaded === true"), "the page was reloaded");
        session.AssertNoErrors();
    }

    private async Task PublishAsync()
    {
        using var admin = fixture.Server.AdminClient();
        using (var known = await admin.GetAsync($"/jdl/{Definition}"))
        {
            if (known.StatusCode == HttpStatusCode.OK)
                return;
        }

        using var content = new StringContent(Yaml, Encoding.UTF8, "application/yaml");
        using var response = await admin.PutAsync($"/jdl/{Definition}?publish=true", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT /jdl/{Definition}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
