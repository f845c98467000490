using System.Net;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>Signing in, the generated job form, a job followed live to its end, previews, provenance, rerun.</summary>
[Collection(BrowserCollection.Name)]
public sealed class JobFlowTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Sign_in_refuses_a_wrong_token_and_accepts_the_right_one()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await page.GotoAsync("/client/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        await session.ScreenshotAsync("01-sign-in");

        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("API token").FillAsync("not-the-token-at-all-000000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");

        await session.SignInAsync();
        // The token is sent as a Bearer header and kept in this tab's sessionStorage, never in a cookie.
        Assert.Empty(await session.Context.CookiesAsync());
        Assert.Equal(Opus.Server.Tests.Infrastructure.OpusServer.AdminToken, await page.EvaluateAsync<string>("sessionStorage.getItem('opus.token')"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Opus" })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('opus.token')"));
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_job_created_from_the_form_is_followed_live_to_its_result_and_rerun()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();

        // The form of 'sleep': an integer with min and max; a value above the max is refused at its field.
        await session.GoAsync("#/new/sleep");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New job: sleep" })).ToBeVisibleAsync();
        var seconds = page.GetByLabel("seconds (s)");
        await Expect(seconds).ToHaveAttributeAsync("type", "number");
        await Expect(seconds).ToHaveAttributeAsync("max", "3600");
        await seconds.FillAsync("99999");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        var error = page.Locator("#" + await seconds.GetAttributeAsync("id") + "-error");
        await Expect(error).ToHaveTextAsync("99999 is above the maximum 3600");
        await Expect(seconds).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(seconds).ToBeFocusedAsync();
        await session.ScreenshotAsync("03-job-form-validation");

        // A job that runs until the test lets it (it waits for the test's gate file): the job page shows it
        // executing, then completed, without a reload, however slow the machine.
        await Gate.PublishAsync(fixture.Server);
        using var gate = new Gate();
        await session.GoAsync($"#/new/{Gate.Definition}");
        // The form itself is labelled by its title ("... gated ..."): the field by its name.
        await page.Locator("input[name=gate]").FillAsync(gate.FilePath);
        await page.EvaluateAsync("window.__notReloaded = true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("EXECUTING", new() { Timeout = ClientSession.EventTimeout });
        gate.Open();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("gate opened\n");
        Assert.True(await page.EvaluateAsync<bool>("window.__notReloaded === true"), "the page was reloaded");

        // The form of 'copy', run at once; the job page follows it to COMPLETED without a reload.
        await session.GoAsync("#/new/copy");
        await page.GetByLabel("text").FillAsync("Hello, sky");
        await page.GetByLabel("Start at once").CheckAsync();
        await session.ScreenshotAsync("04-job-form");
        // A mark in the page's memory: a reload would lose it.
        await page.EvaluateAsync("window.__notReloaded = true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        var jobId = session.CurrentJobId();

        // The single small result is previewed at once.
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("Hello, sky");
        await Expect(page.GetByTestId("job-definition")).ToHaveTextAsync("copy (version 1.0)");
        await page.GetByText("stdout").ClickAsync();
        await Expect(page.GetByTestId("log-stdout")).ToBeVisibleAsync();

        // The provenance graph, when the server has /provsap; a clear note when it does not.
        await page.GetByTestId("prov-show").ClickAsync();
        var graph = page.GetByTestId("prov-graph").Or(page.GetByTestId("prov-missing"));
        await Expect(graph).ToBeVisibleAsync();
        using (var prov = await session.Server.AdminClient().GetAsync($"/provsap?ID={jobId}&RESPONSEFORMAT=PROV-SVG"))
        {
            if (prov.StatusCode == HttpStatusCode.OK)
                await Expect(page.GetByTestId("prov-graph").Locator("svg")).ToBeVisibleAsync();
            else
                await Expect(page.GetByTestId("prov-missing")).ToBeVisibleAsync();
        }

        await session.ScreenshotAsync("05-job-detail");
        Assert.True(await page.EvaluateAsync<bool>("window.__notReloaded === true"), "the page was reloaded");

        // Rerun: the form again, with this job's parameters.
        await page.GetByRole(AriaRole.Link, new() { Name = "Rerun" }).ClickAsync();
        await Expect(page.GetByText("Rerun of job")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("text")).ToHaveValueAsync("Hello, sky");
        await page.GetByLabel("text").FillAsync("Hello again");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        Assert.NotEqual(jobId, session.CurrentJobId());
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("Hello again");
        session.AssertNoErrors();
    }
}
