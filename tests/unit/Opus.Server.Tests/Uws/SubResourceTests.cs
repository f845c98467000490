using System.Globalization;
using System.Net;
using System.Text;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>The job's children: phase, executionduration, destruction, quote, owner, error, results, parameters (UWS 5.x, 9.2).</summary>
[Collection(ServerCollection.Name)]
public sealed class SubResourceTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    // ---- phase ----

    [Fact]
    [Trait("uws", "5.1")]
    [Trait("uws", "1.5")]
    public async Task Phase_is_the_phase_name_as_text()
    {
        var pending = await Client.CreateJobAsync("copy", ("text", "p"));
        var completed = await Client.CreateCompletedCopyJobAsync("c");

        Assert.Equal("PENDING", await Client.GetTextAsync($"{pending}/phase"));
        Assert.Equal((await Client.GetDocumentAsync(completed)).Phase(), await Client.GetTextAsync($"{completed}/phase"));
    }

    [Fact]
    [Trait("uws", "5.1")]
    [Trait("uws", "1.10")]
    [Trait("uws", "6.2")]
    [Trait("uws", "6.4")]
    public async Task PHASE_RUN_answers_303_to_the_job_and_starts_it()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "run"));

        using var response = await Client.PostFormAsync($"{job}/phase", ("PHASE", "RUN"));

        AssertSeeOther(response, Client, job);
        Assert.Contains((await Client.GetDocumentAsync(job)).Phase(), new[] { "QUEUED", "EXECUTING", "COMPLETED" });
        Assert.Equal("COMPLETED", (await Client.WaitForFinalPhaseAsync(job)).Phase());
    }

    [Fact]
    [Trait("uws", "5.1")]
    [Trait("uws", "6.2")]
    [Trait("uws", "6.5")]
    public async Task PHASE_ABORT_of_an_executing_job_answers_303_and_keeps_the_job()
    {
        var job = await Client.StartSleepJobAsync(3600);
        try
        {
            using var response = await Client.PostFormAsync($"{job}/phase", ("PHASE", "ABORT"));

            AssertSeeOther(response, Client, job);
            var aborted = await Client.GetDocumentAsync(job);
            Assert.Equal("ABORTED", aborted.Phase());
            Assert.False(aborted.Child("endTime").IsNil(), "an aborted job has an end time");
            var parameter = Assert.Single(aborted.Child("parameters").Elements(U("parameter")));
            Assert.Equal("3600", parameter.Value);
            Assert.Equal("ABORTED", await Client.GetTextAsync($"{job}/phase"));
            // The job's resources stay readable after the abort.
            await Client.GetDocumentAsync($"{job}/results");
            await Client.GetTextAsync($"{job}/stdout");
        }
        finally
        {
            await Client.DestroyQuietlyAsync(job);
        }
    }

    [Fact]
    [Trait("uws", "5.1")]
    [Trait("uws", "6.2")]
    public async Task PHASE_ABORT_of_a_pending_job_makes_it_ABORTED_and_it_can_not_run_any_more()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "never run"));

        using (var abort = await Client.PostFormAsync($"{job}/phase", ("PHASE", "ABORT")))
            AssertSeeOther(abort, Client, job);

        Assert.Equal("ABORTED", await Client.GetTextAsync($"{job}/phase"));
        using var run = await Client.PostFormAsync($"{job}/phase", ("PHASE", "RUN"));
        await AssertRefusedAsync(run, HttpStatusCode.Forbidden, "ABORTED");
        Assert.True((await Client.GetDocumentAsync(job)).Child("startTime").IsNil(), "an aborted pending job never started");
    }

    [Theory]
    [Trait("uws", "1.3")]
    [Trait("uws", "6.7")]
    [InlineData("RUN")]
    [InlineData("ABORT")]
    public async Task RUN_or_ABORT_of_a_COMPLETED_job_is_403(string action)
    {
        var job = await Client.CreateCompletedCopyJobAsync("final");

        using var response = await Client.PostFormAsync($"{job}/phase", ("PHASE", action));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "COMPLETED");
        Assert.Equal("COMPLETED", await Client.GetTextAsync($"{job}/phase"));
    }

    [Theory]
    [Trait("uws", "5.1")]
    [InlineData("SUSPENDED")]
    [InlineData("COMPLETED")]
    [InlineData("start")]
    [InlineData("")]
    [InlineData(null)]
    public async Task A_PHASE_that_is_not_RUN_or_ABORT_is_400(string? phase)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "p"));

        using var response = phase is null
            ? await Client.PostFormAsync($"{job}/phase", ("OTHER", "x"))
            : await Client.PostFormAsync($"{job}/phase", ("PHASE", phase));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "PHASE");
        Assert.Equal("PENDING", await Client.GetTextAsync($"{job}/phase"));
    }

    // ---- executionduration ----

    [Fact]
    [Trait("uws", "5.2")]
    [Trait("uws", "1.10")]
    [Trait("uws", "8.4")]
    public async Task Execution_duration_is_an_integer_and_POST_sets_it_with_303()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "d"));
        var initial = await Client.GetTextAsync($"{job}/executionduration");
        Assert.Equal((await Client.GetDocumentAsync(job)).Child("executionDuration").Value, initial);
        Assert.True(int.TryParse(initial, NumberStyles.None, CultureInfo.InvariantCulture, out _), $"'{initial}' is not a non-negative integer");
        var requested = int.Parse(initial, CultureInfo.InvariantCulture) == 42 ? "43" : "42";

        using var response = await Client.PostFormAsync($"{job}/executionduration", ("EXECUTIONDURATION", requested));

        AssertSeeOther(response, Client, job);
        Assert.Equal(requested, await Client.GetTextAsync($"{job}/executionduration"));
        Assert.Equal(requested, (await Client.GetDocumentAsync(job)).Child("executionDuration").Value);
    }

    [Theory]
    [Trait("uws", "5.2")]
    [Trait("uws", "8.4")]
    [InlineData("-1")]
    [InlineData("ten")]
    [InlineData("2.5")]
    [InlineData("")]
    public async Task A_negative_or_malformed_execution_duration_is_400(string value)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "d"));
        var before = await Client.GetTextAsync($"{job}/executionduration");

        using var response = await Client.PostFormAsync($"{job}/executionduration", ("EXECUTIONDURATION", value));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "EXECUTIONDURATION");
        Assert.Equal(before, await Client.GetTextAsync($"{job}/executionduration"));
    }

    [Fact]
    [Trait("uws", "5.2")]
    [Trait("uws", "1.3")]
    [Trait("uws", "8.4")]
    public async Task Execution_duration_can_not_change_after_PENDING()
    {
        var job = await Client.CreateCompletedCopyJobAsync("d");
        var before = await Client.GetTextAsync($"{job}/executionduration");

        using var response = await Client.PostFormAsync($"{job}/executionduration", ("EXECUTIONDURATION", "5"));

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "COMPLETED");
        Assert.Equal(before, await Client.GetTextAsync($"{job}/executionduration"));
    }

    // ---- destruction ----

    [Fact]
    [Trait("uws", "5.3")]
    [Trait("uws", "1.8")]
    [Trait("uws", "1.10")]
    public async Task Destruction_is_an_ISO_8601_instant_and_POST_sets_it_with_303()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "d"));
        var initial = await Client.GetTextAsync($"{job}/destruction");
        Assert.Equal(ParseUtc((await Client.GetDocumentAsync(job)).Child("destruction").Value), ParseUtc(initial));
        var requested = FormatUtc(DateTime.UtcNow.AddHours(5));

        using var response = await Client.PostFormAsync($"{job}/destruction", ("DESTRUCTION", requested));

        AssertSeeOther(response, Client, job);
        Assert.Equal(ParseUtc(requested), ParseUtc(await Client.GetTextAsync($"{job}/destruction")));
        Assert.Equal(ParseUtc(requested), (await Client.GetDocumentAsync(job)).TimeOf("destruction"));
    }

    [Theory]
    [Trait("uws", "5.3")]
    [Trait("uws", "8.2")]
    [InlineData("2001-01-01T00:00:00Z")]
    [InlineData("next week")]
    [InlineData("2030-02-30T00:00:00Z")]
    [InlineData("")]
    public async Task A_past_or_malformed_destruction_is_400(string value)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "d"));
        var before = await Client.GetTextAsync($"{job}/destruction");

        using var response = await Client.PostFormAsync($"{job}/destruction", ("DESTRUCTION", value));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "DESTRUCTION");
        Assert.Equal(before, await Client.GetTextAsync($"{job}/destruction"));
        Assert.Equal("PENDING", await Client.GetTextAsync($"{job}/phase"));
    }

    [Fact]
    [Trait("uws", "5.3")]
    [Trait("uws", "8.2")]
    public async Task A_destruction_beyond_the_servers_limit_is_substituted_by_an_earlier_one()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "d"));
        var requested = new DateTime(2999, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        using var response = await Client.PostFormAsync($"{job}/destruction", ("DESTRUCTION", FormatUtc(requested)));

        AssertSeeOther(response, Client, job);
        var granted = ParseUtc(await Client.GetTextAsync($"{job}/destruction"));
        Assert.True(granted < requested, $"the server granted {granted:O}");
        Assert.True(granted > DateTime.UtcNow);
    }

    // ---- quote, owner, error ----

    [Fact]
    [Trait("uws", "5.4")]
    [Trait("uws", "1.5")]
    public async Task Quote_is_an_instant_or_empty_as_in_the_job_document()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "1"));
        var quote = (await Client.GetDocumentAsync(job)).Child("quote");

        var text = await Client.GetTextAsync($"{job}/quote");

        if (quote.IsNil())
            Assert.Equal("", text);
        else
            Assert.Equal(ParseUtc(quote.Value), ParseUtc(text));
    }

    [Fact]
    [Trait("uws", "5.8")]
    [Trait("uws", "1.5")]
    [Trait("uws", "4.1")]
    public async Task Owner_is_empty_and_ownerId_nil_without_authentication()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "o"));

        Assert.Equal("", await Client.GetTextAsync($"{job}/owner"));
        Assert.True((await Client.GetDocumentAsync(job)).Child("ownerId").IsNil());
    }

    [Fact]
    [Trait("uws", "5.5")]
    public async Task Error_of_a_job_that_did_not_fail_is_empty_text()
    {
        var job = await Client.CreateCompletedCopyJobAsync("fine");

        Assert.Equal("", await Client.GetTextAsync($"{job}/error"));
    }

    // ---- results ----

    [Fact]
    [Trait("uws", "5.6")]
    [Trait("uws", "1.5")]
    public async Task Results_list_unique_ids_with_size_and_mime_type_matching_the_download()
    {
        const string text = "Grüße, 世界: results ✓";
        var job = await Client.CreateCompletedCopyJobAsync(text);

        var results = await Client.GetDocumentAsync($"{job}/results");

        Assert.Equal(U("results"), results.Root!.Name);
        var listed = results.Root.Elements(U("result")).ToList();
        Assert.NotEmpty(listed);
        var ids = listed.Select(r => (string)r.Attribute("id")!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("output", ids);
        foreach (var result in listed)
        {
            var href = (string?)result.Attribute(UwsSchema.Xlink + "href");
            Assert.NotNull(href);
            using var download = await Client.GetAsync(new Uri(Client.BaseAddress!, href));
            Assert.True(download.StatusCode == HttpStatusCode.OK, $"GET {href}: {(int)download.StatusCode} {await download.Content.ReadAsStringAsync()}");
            var bytes = await download.Content.ReadAsByteArrayAsync();
            // size is optional (UWS-v1.1.xsd); the provenance results (provenance.md section 5) are drawn on request and have none.
            if ((string?)result.Attribute("size") is { } size)
                Assert.Equal(long.Parse(size, CultureInfo.InvariantCulture), bytes.LongLength);
            Assert.Equal((string?)result.Attribute("mime-type"), download.Content.Headers.ContentType?.MediaType);
        }

        using var output = await Client.GetAsync($"{job}/results/output");
        Assert.Equal(Encoding.UTF8.GetBytes(text), await output.Content.ReadAsByteArrayAsync());
        // The job document lists the same results.
        Assert.Equal(ids, (await Client.GetDocumentAsync(job)).Child("results").Elements(U("result")).Select(r => (string)r.Attribute("id")!));
    }

    [Fact]
    [Trait("uws", "5.6")]
    [Trait("uws", "4.1")]
    public async Task Results_of_a_job_that_has_not_run_are_an_empty_list()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "no results yet"));

        var results = await Client.GetDocumentAsync($"{job}/results");

        Assert.Equal(U("results"), results.Root!.Name);
        Assert.Empty(results.Root.Elements());
    }

    [Theory]
    [Trait("uws", "5.6")]
    [Trait("uws", "4.5")]
    [InlineData("PUT")]
    [InlineData("POST")]
    public async Task Results_are_read_only(string method)
    {
        var job = await Client.CreateCompletedCopyJobAsync("read only");

        using var request = new HttpRequestMessage(new HttpMethod(method), $"{job}/results/output") { Content = new StringContent("overwritten") };
        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        using var output = await Client.GetAsync($"{job}/results/output");
        Assert.Equal("read only", await output.Content.ReadAsStringAsync());
    }

    // ---- parameters ----

    [Fact]
    [Trait("uws", "5.7")]
    [Trait("uws", "9.1")]
    [Trait("uws", "1.5")]
    public async Task Parameters_list_the_given_values_and_each_can_be_read_as_text()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "7"));

        var parameters = await Client.GetDocumentAsync($"{job}/parameters");

        Assert.Equal(U("parameters"), parameters.Root!.Name);
        var seconds = Assert.Single(parameters.Root.Elements(U("parameter")));
        Assert.Equal("seconds", (string?)seconds.Attribute("id"));
        Assert.Equal("7", seconds.Value);
        Assert.Equal("7", await Client.GetTextAsync($"{job}/parameters/seconds"));
    }

    [Fact]
    [Trait("uws", "5.7")]
    public async Task A_value_XML_cannot_carry_is_given_by_reference()
    {
        const string value = "bell\u0007and\u0001control";
        var job = await Client.CreateJobAsync("copy", ("text", value));

        var parameter = Assert.Single((await Client.GetDocumentAsync($"{job}/parameters")).Root!.Elements(U("parameter")));

        Assert.Equal("true", (string?)parameter.Attribute("byReference"));
        var reference = new Uri(parameter.Value.Trim());
        Assert.True(reference.IsAbsoluteUri);
        using var content = await Client.GetAsync(reference.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Equal(value, await content.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait("uws", "9.2")]
    [Trait("uws", "1.10")]
    public async Task Parameters_of_a_pending_job_can_be_updated_in_each_recommended_way()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "1"));

        using (var toJob = await Client.PostFormAsync(job, ("seconds", "2")))
            AssertSeeOther(toJob, Client, job);
        Assert.Equal("2", await Client.GetTextAsync($"{job}/parameters/seconds"));

        using (var toList = await Client.PostFormAsync($"{job}/parameters", ("seconds", "3")))
            AssertSeeOther(toList, Client, job);
        Assert.Equal("3", await Client.GetTextAsync($"{job}/parameters/seconds"));

        using (var put = await Client.PutTextAsync($"{job}/parameters/seconds", "4"))
            AssertSeeOther(put, Client, job);
        Assert.Equal("4", await Client.GetTextAsync($"{job}/parameters/seconds"));

        using (var value = await Client.PostFormAsync($"{job}/parameters/seconds", ("VALUE", "5")))
            AssertSeeOther(value, Client, job);
        var document = await Client.GetDocumentAsync(job);
        Assert.Equal("5", Assert.Single(document.Child("parameters").Elements(U("parameter"))).Value);
        Assert.Equal("PENDING", document.Phase());
    }

    [Fact]
    [Trait("uws", "9.2")]
    public async Task An_update_is_validated_like_a_creation()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "1"));

        using (var put = await Client.PutTextAsync($"{job}/parameters/seconds", "many"))
            await AssertRefusedAsync(put, HttpStatusCode.BadRequest, "seconds");
        using (var unknown = await Client.PostFormAsync($"{job}/parameters", ("colour", "red")))
            await AssertRefusedAsync(unknown, HttpStatusCode.BadRequest, "colour");

        Assert.Equal("1", await Client.GetTextAsync($"{job}/parameters/seconds"));
    }

    [Fact]
    [Trait("uws", "9.2")]
    [Trait("uws", "1.3")]
    public async Task Parameters_can_not_change_after_PENDING()
    {
        var job = await Client.CreateCompletedCopyJobAsync("original");

        using (var toJob = await Client.PostFormAsync(job, ("text", "changed")))
            await AssertRefusedAsync(toJob, HttpStatusCode.Forbidden, "COMPLETED");
        using (var toList = await Client.PostFormAsync($"{job}/parameters", ("text", "changed")))
            await AssertRefusedAsync(toList, HttpStatusCode.Forbidden, "COMPLETED");
        using (var put = await Client.PutTextAsync($"{job}/parameters/text", "changed"))
            await AssertRefusedAsync(put, HttpStatusCode.Forbidden, "COMPLETED");
        using (var value = await Client.PostFormAsync($"{job}/parameters/text", ("VALUE", "changed")))
            await AssertRefusedAsync(value, HttpStatusCode.Forbidden, "COMPLETED");

        Assert.Equal("original", await Client.GetTextAsync($"{job}/parameters/text"));
    }

    // ---- every child ----

    [Theory]
    [Trait("uws", "1.5")]
    [Trait("uws", "5.9")]
    [Trait("uws", "1.1")]
    [InlineData("", UwsTestHelpers.XmlMediaType)]
    [InlineData("/phase", UwsTestHelpers.TextMediaType)]
    [InlineData("/executionduration", UwsTestHelpers.TextMediaType)]
    [InlineData("/destruction", UwsTestHelpers.TextMediaType)]
    [InlineData("/error", UwsTestHelpers.TextMediaType)]
    [InlineData("/quote", UwsTestHelpers.TextMediaType)]
    [InlineData("/results", UwsTestHelpers.XmlMediaType)]
    [InlineData("/parameters", UwsTestHelpers.XmlMediaType)]
    [InlineData("/parameters/text", UwsTestHelpers.TextMediaType)]
    [InlineData("/owner", UwsTestHelpers.TextMediaType)]
    [InlineData("/stdout", UwsTestHelpers.TextMediaType)]
    [InlineData("/stderr", UwsTestHelpers.TextMediaType)]
    public async Task Every_child_is_readable_in_any_phase_with_its_content_type(string child, string mediaType)
    {
        var pending = await Client.CreateJobAsync("copy", ("text", "pending"));
        var completed = await Client.CreateCompletedCopyJobAsync("completed");

        foreach (var job in new[] { pending, completed })
        {
            if (mediaType == XmlMediaType)
                await Client.GetDocumentAsync(job + child);
            else
                await Client.GetTextAsync(job + child);
        }
    }
}
