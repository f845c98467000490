using System.IO.Compression;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// The job list's filters, kept in the URL, and its bulk actions on a selection: abort of 20 running
/// jobs with "n of m" and a summary of what failed, rerun, the selection's results as one zip.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BulkActionTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Twenty_running_jobs_are_aborted_at_once_and_the_summary_says_which_one_failed_and_why()
    {
        // A server of its own that runs 20 jobs at once (the shared one runs 2).
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "false",
            ["Opus:KillGraceSeconds"] = "1",
            ["Opus:MaxConcurrentJobs"] = "24",
        });
        var admin = server.AdminClient();
        var tag = $"bulk-{Guid.NewGuid():N}"[..15];
        var running = new List<string>();
        for (var i = 0; i < 20; i++)
            running.Add(await admin.CreateJobAsync("sleep", ("seconds", "3600"), ("RUNID", $"{tag}-{i:00}"), ("PHASE", "RUN")));
        // One that has ended already: aborting it is refused, and the summary says so.
        var ended = await admin.CreateJobAsync("sleep", ("seconds", "3600"), ("RUNID", $"{tag}-ended"));
        using (var abort = await admin.PostFormAsync($"{ended}/phase", ("PHASE", "ABORT")))
            Assert.Equal(System.Net.HttpStatusCode.SeeOther, abort.StatusCode);
        foreach (var job in running)
            await Eventually.HoldsAsync(async () => (await admin.GetXmlAsync(job)).Phase(), phase => phase == "EXECUTING", $"{job} is EXECUTING");

        await using var session = await ClientSession.OpenAsync(fixture.Browser, server);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync($"#/jobs?definition=sleep&runId={tag}&runIdMatch=prefix");
        await Expect(page.Locator("tbody tr[data-id]")).ToHaveCountAsync(21);
        await Expect(page.Locator("tbody tr[data-phase='EXECUTING']")).ToHaveCountAsync(20);

        // Select the page from the keyboard: focus the box, press Space.
        await page.GetByTestId("select-page").FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(page.GetByTestId("selected-count")).ToHaveTextAsync("21 selected");
        await Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select job {Id(ended)}" })).ToBeCheckedAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Abort the selected jobs" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-progress")).ToHaveTextAsync("20 of 21 aborted; 1 failed", new() { Timeout = ClientSession.EventTimeout });
        var failure = page.GetByTestId("bulk-summary").Locator("li");
        await Expect(failure).ToHaveCountAsync(1);
        await Expect(failure).ToContainTextAsync(Id(ended)[..10]);
        await Expect(failure).ToContainTextAsync("ABORTED");
        await Expect(page.Locator("tbody tr[data-phase='ABORTED']")).ToHaveCountAsync(21, new() { Timeout = ClientSession.EventTimeout });
        foreach (var job in running)
            Assert.Equal("ABORTED", (await admin.GetXmlAsync(job)).Phase());
        await session.ScreenshotAsync("bulk-abort-1280");
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_filtered_list_opened_again_from_its_URL_in_a_new_page_shows_the_same_rows()
    {
        var admin = fixture.Server.AdminClient();
        var tag = $"url-{Guid.NewGuid():N}"[..14];
        var kept = new List<string>();
        foreach (var (text, runId) in new[] { ("cyan", $"{tag}-a-1"), ("cyan", $"{tag}-a-2"), ("magenta", $"{tag}-a-3"), ("cyan", $"{tag}-b-1") })
        {
            var job = Id(await admin.CreateJobAsync("copy", ("text", text), ("RUNID", runId)));
            if (text == "cyan" && runId.Contains("-a-", StringComparison.Ordinal))
                kept.Add(job);
        }

        kept.Reverse();
        await using var first = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await first.SignInAsync();
        var page = first.Page;
        await page.GetByLabel("Run ID", new() { Exact = true }).FillAsync($"{tag}-a-");
        await page.GetByLabel("Run ID match").SelectOptionAsync("prefix");
        await page.GetByLabel("Parameter").FillAsync("text=cyan");
        await page.GetByLabel("Parameter").PressAsync("Enter");
        await Expect(page.Locator("tbody tr[data-id]")).ToHaveCountAsync(2);
        Assert.Equal(kept, await RowIdsAsync(page));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("runIdMatch=prefix"));
        var hash = "#" + page.Url.Split('#')[1];
        Assert.Contains("param=text%3Dcyan", hash);

        await using var second = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await second.SignInAsync();
        await second.GoAsync(hash);
        await Expect(second.Page.Locator("tbody tr[data-id]")).ToHaveCountAsync(2);
        Assert.Equal(kept, await RowIdsAsync(second.Page));
        await Expect(second.Page.GetByLabel("Parameter")).ToHaveValueAsync("text=cyan");
        await Expect(second.Page.GetByLabel("Run ID", new() { Exact = true })).ToHaveValueAsync($"{tag}-a-");

        // A filter the server refuses says why, in place of the rows.
        await second.Page.GetByLabel("Parameter").FillAsync("no-equals-sign");
        await second.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(second.Page.GetByText("is not NAME=VALUE")).ToBeVisibleAsync();
        first.AssertNoErrors();
        second.AssertNoErrors();
    }

    [Fact]
    public async Task Selected_jobs_are_rerun_and_their_results_downloaded_as_one_zip()
    {
        var admin = fixture.Server.AdminClient();
        var tag = $"rerun-{Guid.NewGuid():N}"[..16];
        var jobs = new List<string>();
        foreach (var text in new[] { "first sky", "second sky" })
        {
            var job = await admin.CreateJobAsync("copy", ("text", text), ("RUNID", tag), ("PHASE", "RUN"));
            Assert.Equal("COMPLETED", (await admin.WaitForFinalAsync(job)).Phase());
            jobs.Add(Id(job));
        }

        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync($"#/jobs?runId={tag}");
        await Expect(page.Locator("tbody tr[data-id]")).ToHaveCountAsync(2);
        foreach (var id in jobs)
            await page.GetByRole(AriaRole.Checkbox, new() { Name = $"Select job {id}" }).CheckAsync();
        await Expect(page.GetByTestId("selected-count")).ToHaveTextAsync("2 selected");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download all results of the selected jobs" }).ClickAsync());
        var path = await download.PathAsync();
        using (var zip = ZipFile.OpenRead(path))
            Assert.Equal(jobs.Select(id => $"{id}/output.txt").Order(), zip.Entries.Select(e => e.FullName).Order());

        await page.GetByRole(AriaRole.Button, new() { Name = "Rerun the selected jobs" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-progress")).ToHaveTextAsync("2 of 2 rerun", new() { Timeout = ClientSession.EventTimeout });
        // The new jobs: same run ID and texts, started.
        await Expect(page.Locator("tbody tr[data-id]")).ToHaveCountAsync(4, new() { Timeout = ClientSession.EventTimeout });
        var reruns = (await RowIdsAsync(page)).Except(jobs).ToList();
        Assert.Equal(2, reruns.Count);
        var texts = new List<string>();
        foreach (var id in reruns)
        {
            var done = await admin.WaitForFinalAsync($"/rest/copy/{id}");
            Assert.Equal("COMPLETED", done.Phase());
            texts.Add(await admin.GetStringAsync($"/rest/copy/{id}/parameters/text"));
        }

        Assert.Equal(["first sky", "second sky"], texts.Order());
        session.AssertNoErrors();
    }

    private static async Task<List<string>> RowIdsAsync(IPage page) =>
        [.. await page.Locator("tbody tr[data-id]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)")];

    private static string Id(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];
}
