using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>The definition editor: the server's validation at the fields, publish, a job from the new definition, export.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EditorTests(BrowserFixture fixture)
{
    [Fact]
    public async Task A_definition_made_in_the_editor_is_checked_published_run_and_exported()
    {
        var name = $"shout{Guid.NewGuid():N}"[..12];
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Definitions" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New definition" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New definition" })).ToBeVisibleAsync();

        await page.GetByLabel("Name", new() { Exact = true }).First.FillAsync(name);
        await page.GetByLabel("Description", new() { Exact = true }).First.FillAsync("Shouts the text back, in capitals.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add parameter" }).ClickAsync();
        var parameter = page.GetByRole(AriaRole.Group, new() { Name = "Parameter" });
        await parameter.GetByLabel("Name", new() { Exact = true }).FillAsync("text");
        await parameter.GetByLabel("Required").CheckAsync();
        await parameter.GetByLabel("Description").FillAsync("What to shout.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add input" }).ClickAsync();
        var input = page.GetByRole(AriaRole.Group, new() { Name = "Input" });
        await input.GetByLabel("Name", new() { Exact = true }).FillAsync("extra");
        await input.GetByLabel("Description").FillAsync("More text to shout: a file to upload, or its http(s) URL.");
        await input.GetByLabel("URL template ($ID)").FillAsync("file://$ID");
        var result = page.GetByRole(AriaRole.Group, new() { Name = "Result" });
        await result.GetByLabel("File or glob").FillAsync("../escape.txt");
        // Limits of a local job, among the scheduler resources.
        await page.GetByText("Scheduler resources").ClickAsync();
        await page.GetByLabel("Processes").FillAsync("64");
        await page.GetByLabel("Output size").FillAsync("500M");
        var script = page.GetByRole(AriaRole.Textbox, new() { Name = "Script (bash)" });
        await script.FillAsync("printf '%s' \"$text\" | tr a-z A-Z > output.txt");

        // The server's check, its message at the field it names.
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        var file = result.GetByLabel("File or glob");
        await Expect(file).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(result.Locator(".error:not([hidden])")).ToContainTextAsync("must be relative to the working directory");
        await session.ScreenshotAsync("06-definition-editor-error");

        await file.FillAsync("output.txt");
        await page.GetByRole(AriaRole.Button, new() { Name = "Check" }).ClickAsync();
        await Expect(page.Locator(".toast").Last).ToContainTextAsync("valid");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save and publish" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Definition {name}" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("versions")).ToContainTextAsync("published");
        await session.ScreenshotAsync("07-definition-editor");

        // Export as YAML.
        await page.GetByLabel("Export format").SelectOptionAsync("yaml");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export" }).ClickAsync());
        Assert.Equal($"{name}.yaml", download.SuggestedFilename);
        var yaml = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains($"name: {name}", yaml);
        Assert.Contains("  processes: 64\n", yaml);
        Assert.Contains("  outputSize: 500M\n", yaml);

        // A job of it: the server refuses a value that is neither an upload nor an http(s) URL, and says so at that field.
        await page.GetByTestId("versions").GetByRole(AriaRole.Link, new() { Name = "New job" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"New job: {name}" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Shouts the text back, in capitals.")).ToBeVisibleAsync();
        await page.GetByLabel("text").FillAsync("quiet please");
        var url = page.GetByLabel("extra: URL or identifier");
        await url.FillAsync("just-a-name");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        var error = page.Locator("[data-field] .error:not([hidden])");
        await Expect(error).ToContainTextAsync("input 'extra'");
        await Expect(page.Locator("[data-field]").Filter(new() { Has = url })).ToContainTextAsync("input 'extra'");
        await session.ScreenshotAsync("11-job-form-server-error");

        await url.FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("QUIET PLEASE");
        session.AssertNoErrors();
    }
}
