using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>The job list: live phases from the event stream, start, abort and delete per row, counts per phase.</summary>
[Collection(BrowserCollection.Name)]
public sealed class JobListTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Jobs_are_started_aborted_and_deleted_from_the_list_and_it_follows_them_live()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        var admin = fixture.Server.AdminClient();
        await session.SignInAsync();

        var pending = Id(await admin.CreateJobAsync("sleep", ("seconds", "60"), ("RUNID", "list-pending")));
        await session.GoAsync("#/jobs?definition=sleep");
        var pendingRow = page.Locator($"tr[data-id='{pending}']");
        await Expect(pendingRow.Locator(".phase")).ToHaveTextAsync("PENDING");
        await Expect(pendingRow.GetByRole(AriaRole.Button, new() { Name = "Abort" })).ToBeEnabledAsync();

        // A job created elsewhere appears, and its phases follow, without a reload.
        var running = Id(await admin.CreateJobAsync("sleep", ("seconds", "3600"), ("RUNID", "list-running"), ("PHASE", "RUN")));
        var runningRow = page.Locator($"tr[data-id='{running}']");
        await Expect(runningRow.Locator(".phase")).ToHaveTextAsync("EXECUTING", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("count-EXECUTING")).ToHaveTextAsync("1");

        // Start from the list, abort both, delete one after confirming.
        await pendingRow.GetByRole(AriaRole.Button, new() { Name = "Start" }).ClickAsync();
        await Expect(pendingRow.Locator(".phase")).ToHaveTextAsync("EXECUTING", new() { Timeout = ClientSession.EventTimeout });
        await session.ScreenshotAsync("02-job-list");
        await pendingRow.GetByRole(AriaRole.Button, new() { Name = "Abort" }).ClickAsync();
        await runningRow.GetByRole(AriaRole.Button, new() { Name = "Abort" }).ClickAsync();
        await Expect(pendingRow.Locator(".phase")).ToHaveTextAsync("ABORTED");
        await Expect(runningRow.Locator(".phase")).ToHaveTextAsync("ABORTED");
        await Expect(pendingRow.GetByRole(AriaRole.Button, new() { Name = "Abort" })).ToBeDisabledAsync();

        await runningRow.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync(running);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(runningRow).ToBeVisibleAsync();
        await runningRow.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(runningRow).ToHaveCountAsync(0);
        using (var gone = await admin.GetAsync($"/rest/sleep/{running}"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);

        // The phase filter: only ABORTED jobs.
        await page.Locator(".counts button[data-phase='ABORTED']").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("phase=ABORTED"));
        await Expect(page.Locator(".counts button[data-phase='ABORTED']")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(pendingRow).ToBeVisibleAsync();
        await Expect(page.Locator("tbody tr:not([data-phase='ABORTED'])")).ToHaveCountAsync(0);
        session.AssertNoErrors();
    }

    private static string Id(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];
}
