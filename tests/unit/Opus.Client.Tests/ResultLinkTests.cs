using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>"Copy link" on the job page: a signed link on the clipboard, or in a field when the browser refuses the clipboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ResultLinkTests(BrowserFixture fixture)
{
    private async Task<ILocator> CompletedCopyJobAsync(ClientSession session, string text)
    {
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync("#/new/copy");
        await page.GetByLabel("text").FillAsync(text);
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        return page.Locator("[data-result='output']");
    }

    /// <summary>GETs a link as a desktop tool would: no token, no cookie.</summary>
    private async Task<(HttpStatusCode Status, string Body)> WithoutCredentialsAsync(string link)
    {
        using var anybody = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        using var response = await anybody.GetAsync(link);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Copy_link_puts_a_signed_link_on_the_clipboard_that_downloads_the_result_without_credentials()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.Server.BaseUri.GetLeftPart(UriPartial.Authority) });
        var card = await CompletedCopyJobAsync(session, "Linked sky");
        var jobId = session.CurrentJobId();

        await card.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        await Expect(card.GetByTestId("link-copied")).ToContainTextAsync("Link to output copied.");
        var link = await session.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");

        var url = new Uri(link);
        Assert.Equal($"/rest/copy/{jobId}/results/output", url.AbsolutePath);
        Assert.Equal((HttpStatusCode.OK, "Linked sky"), await WithoutCredentialsAsync(link));
        // The same result without the signature needs credentials.
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithoutCredentialsAsync(url.AbsolutePath)).Status);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task When_the_clipboard_is_refused_the_link_is_shown_in_a_field_to_copy_from()
    {
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        // The browser saying no, as one does when the user or a policy blocks the clipboard.
        await session.Page.AddInitScriptAsync("navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));");
        var card = await CompletedCopyJobAsync(session, "Fallback sky");

        await card.GetByRole(AriaRole.Button, new() { Name = "Copy link" }).ClickAsync();
        var field = card.GetByRole(AriaRole.Textbox, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Signed link to output") });
        await Expect(field).ToBeFocusedAsync();
        var link = await field.InputValueAsync();
        Assert.Contains("sig=", link);
        Assert.Equal((HttpStatusCode.OK, "Fallback sky"), await WithoutCredentialsAsync(link));
        session.AssertNoErrors();
    }
}
