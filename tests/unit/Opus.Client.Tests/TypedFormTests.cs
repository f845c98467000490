using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// The form generated from a definition with every parameter type: the control each type gets,
/// required first and optional behind the toggle, units, and the values that reach the job as the
/// server stores them; a rerun and a link prefill the same controls.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TypedFormTests(BrowserFixture fixture)
{
    private static readonly XNamespace Uws = "http://www.ivoa.net/xml/UWS/v1.0";

    private async Task<string> CreateDefinitionAsync()
    {
        var name = $"typed{Guid.NewGuid():N}"[..12];
        var definition = $$"""
            {"name": "{{name}}", "version": "1", "description": "Every parameter type.",
             "parameters": [
               {"name": "count", "type": "xs:int", "required": true, "min": "1", "max": "10", "unit": "frames", "description": "How many frames."},
               {"name": "colour", "type": "xs:string", "required": true, "options": ["red", "green"]},
               {"name": "when", "type": "xs:dateTime", "required": true, "description": "Start of the observation."},
               {"name": "ratio", "type": "xs:double", "required": false, "default": "0.5"},
               {"name": "verbose", "type": "xs:boolean", "required": false, "default": "false"},
               {"name": "source", "type": "xs:anyURI", "required": false}
             ],
             "generated": [{"name": "output", "file": "output.txt", "contentType": "text/plain"}],
             "script": "printf '%s %s %s %s %s' \"$count\" \"$colour\" \"$when\" \"$ratio\" \"$verbose\" > output.txt"}
            """;
        using var admin = fixture.Server.AdminClient();
        using var content = new StringContent(definition, Encoding.UTF8, "application/json");
        using var created = await admin.PostAsync("/jdl?publish=true", content);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return name;
    }

    [Fact]
    public async Task Each_type_gets_its_control_and_the_values_reach_the_job_as_typed()
    {
        var name = await CreateDefinitionAsync();
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync($"#/new/{name}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"New job: {name}" })).ToBeVisibleAsync();

        var count = page.GetByLabel("count (frames)");
        await Expect(count).ToHaveAttributeAsync("type", "number");
        await Expect(count).ToHaveAttributeAsync("min", "1");
        await Expect(count).ToHaveAttributeAsync("max", "10");
        await Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "colour" })).ToBeVisibleAsync();
        var when = page.GetByLabel("when (UTC)");
        await Expect(when).ToHaveAttributeAsync("type", "datetime-local");
        // Optional parameters wait behind their toggle.
        var ratio = page.GetByLabel("ratio", new() { Exact = true });
        await Expect(ratio).ToBeHiddenAsync();
        await page.GetByText("Optional parameters (3)").ClickAsync();
        await Expect(ratio).ToHaveAttributeAsync("type", "number");
        await Expect(ratio).ToHaveValueAsync("0.5");
        await Expect(page.GetByLabel("verbose", new() { Exact = true })).ToHaveAttributeAsync("type", "checkbox");
        await Expect(page.GetByLabel("source", new() { Exact = true })).ToHaveAttributeAsync("type", "url");

        await count.FillAsync("3");
        await page.GetByRole(AriaRole.Combobox, new() { Name = "colour" }).SelectOptionAsync("green");
        await when.FillAsync("2026-03-01T12:30:15");
        await page.GetByLabel("verbose", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Start at once").CheckAsync();
        await session.ScreenshotAsync("15-typed-form");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await Expect(page.GetByTestId("job-results").GetByTestId("preview-text")).ToHaveTextAsync("3 green 2026-03-01T12:30:15Z 0.5 true");
        var jobId = session.CurrentJobId();

        using (var admin = fixture.Server.AdminClient())
        {
            var document = XDocument.Parse(await admin.GetStringAsync($"/rest/{name}/{jobId}/parameters"));
            var values = document.Root!.Elements(Uws + "parameter").ToDictionary(p => (string)p.Attribute("id")!, p => p.Value);
            Assert.Equal("2026-03-01T12:30:15Z", values["when"]);
            Assert.Equal("true", values["verbose"]);
            Assert.Equal("3", values["count"]);
        }

        // Rerun fills the same controls from the job, the date and time back in the UTC picker.
        await page.GetByRole(AriaRole.Link, new() { Name = "Rerun" }).ClickAsync();
        await Expect(page.GetByLabel("when (UTC)")).ToHaveValueAsync("2026-03-01T12:30:15");
        await Expect(page.GetByLabel("count (frames)")).ToHaveValueAsync("3");
        await Expect(page.GetByLabel("verbose", new() { Exact = true })).ToBeCheckedAsync();

        // A link with an offset time shows it in UTC.
        await session.GoAsync($"#/new/{name}?when={Uri.EscapeDataString("2026-05-05T03:02:01+02:00")}");
        await Expect(page.GetByLabel("when (UTC)")).ToHaveValueAsync("2026-05-05T01:02:01");
        session.AssertNoErrors();
    }
}
