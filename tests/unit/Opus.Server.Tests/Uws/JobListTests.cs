using System.Globalization;
using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>The job list /{jobs} and its filters (UWS 2.x).</summary>
[Collection(ServerCollection.Name)]
public sealed class JobListTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    [Trait("uws", "2.1")]
    [Trait("uws", "2.2")]
    [Trait("uws", "1.5")]
    [Trait("uws", "1.6")]
    [Trait("uws", "1.9")]
    public async Task Unfiltered_list_is_a_version_1_1_jobs_document_with_every_visible_job()
    {
        var jobs = new[]
        {
            await Client.CreateJobAsync("copy", ("text", "a")),
            await Client.CreateJobAsync("copy", ("text", "b")),
            await Client.CreateCompletedCopyJobAsync("c"),
        };

        var list = await Client.GetJobListAsync("copy");

        Assert.Equal(U("jobs"), list.Root!.Name);
        Assert.Equal("http://www.ivoa.net/xml/UWS/v1.0", list.Root.Name.NamespaceName);
        Assert.Equal("1.1", (string?)list.Root.Attribute("version"));
        var ids = list.JobRefIds();
        Assert.All(jobs, job => Assert.Contains(JobIdOf(job), ids));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    [Trait("uws", "2.1")]
    [Trait("uws", "1.1")]
    [Trait("uws", "4.8")]
    public async Task Jobrefs_link_under_the_list_url_and_carry_phase_runId_and_creationTime()
    {
        var runId = Unique("jobref");
        var job = await Client.CreateJobAsync("copy", ("text", "x"), ("RUNID", runId));
        var document = await Client.GetDocumentAsync(job);

        var jobref = Assert.Single((await Client.GetJobListAsync("copy")).JobRefs(), j => (string?)j.Attribute("id") == JobIdOf(job));

        var href = (string?)jobref.Attribute(UwsSchema.Xlink + "href");
        Assert.NotNull(href);
        var listUrl = new Uri(Client.BaseAddress!, "/rest/copy").AbsoluteUri;
        Assert.Equal($"{listUrl}/{JobIdOf(job)}", href);
        var linked = await Client.GetDocumentAsync(new Uri(href).PathAndQuery);
        Assert.Equal(JobIdOf(job), linked.Child("jobId").Value);

        Assert.Equal(document.Phase(), jobref.Element(U("phase"))!.Value);
        Assert.Equal(runId, jobref.Element(U("runId"))!.Value);
        Assert.Equal(document.Child("creationTime").Value, jobref.Element(U("creationTime"))!.Value);
        ParseUtc(jobref.Element(U("creationTime"))!.Value);
    }

    [Fact]
    [Trait("uws", "2.3")]
    public async Task Repeated_PHASE_filters_select_the_union_of_the_phases()
    {
        var pending = await Client.CreateJobAsync("copy", ("text", "p"));
        var aborted = await Client.CreateJobAsync("copy", ("text", "a"));
        using (var abort = await Client.PostFormAsync($"{aborted}/phase", ("PHASE", "ABORT")))
            AssertSeeOther(abort, Client, aborted);
        var completed = await Client.CreateCompletedCopyJobAsync("c");

        var union = await Client.GetJobListAsync("copy", "PHASE=PENDING&PHASE=ABORTED");
        var ids = union.JobRefIds();
        Assert.Contains(JobIdOf(pending), ids);
        Assert.Contains(JobIdOf(aborted), ids);
        Assert.DoesNotContain(JobIdOf(completed), ids);
        Assert.All(union.JobRefs(), j => Assert.Contains(j.Element(U("phase"))!.Value, new[] { "PENDING", "ABORTED" }));

        var single = await Client.GetJobListAsync("copy", "PHASE=COMPLETED");
        Assert.Contains(JobIdOf(completed), single.JobRefIds());
        Assert.DoesNotContain(JobIdOf(pending), single.JobRefIds());
        Assert.All(single.JobRefs(), j => Assert.Equal("COMPLETED", j.Element(U("phase"))!.Value));
    }

    [Fact]
    [Trait("uws", "2.4")]
    public async Task AFTER_keeps_only_jobs_created_strictly_after_the_instant_by_creationTime()
    {
        var first = await Client.CreateJobAsync("copy", ("text", "first"));
        await Task.Delay(20);
        var second = await Client.CreateJobAsync("copy", ("text", "second"));
        await Task.Delay(20);
        // The first job starts after the second was created: a filter on startTime would list it.
        using (var run = await Client.PostFormAsync($"{first}/phase", ("PHASE", "RUN")))
            AssertSeeOther(run, Client, first);
        var firstDone = await Client.WaitForFinalPhaseAsync(first);
        var secondCreated = (await Client.GetDocumentAsync(second)).Child("creationTime").Value;
        Assert.True(firstDone.TimeOf("startTime") > ParseUtc(secondCreated));

        var afterFirst = (await Client.GetJobListAsync("copy", $"AFTER={Uri.EscapeDataString(firstDone.Child("creationTime").Value)}")).JobRefIds();
        Assert.DoesNotContain(JobIdOf(first), afterFirst);
        Assert.Contains(JobIdOf(second), afterFirst);

        var afterSecond = (await Client.GetJobListAsync("copy", $"AFTER={Uri.EscapeDataString(secondCreated)}")).JobRefIds();
        Assert.DoesNotContain(JobIdOf(first), afterSecond);
        Assert.DoesNotContain(JobIdOf(second), afterSecond);

        // The same instant written with another UTC offset selects the same jobs.
        var shifted = new DateTimeOffset(firstDone.TimeOf("creationTime")).ToOffset(TimeSpan.FromHours(2))
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        Assert.Equal(afterFirst, (await Client.GetJobListAsync("copy", $"AFTER={Uri.EscapeDataString(shifted)}")).JobRefIds());
    }

    [Fact]
    [Trait("uws", "2.5")]
    public async Task LAST_returns_the_n_most_recent_jobs_newest_first()
    {
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add(JobIdOf(await Client.CreateJobAsync("copy", ("text", $"job {i}"))));
            await Task.Delay(20);
        }

        var list = await Client.GetJobListAsync("copy", "LAST=2");

        Assert.Equal([created[2], created[1]], list.JobRefIds());
        var times = list.JobRefs().Select(j => ParseUtc(j.Element(U("creationTime"))!.Value)).ToList();
        Assert.True(times[0] > times[1], "LAST must order by descending creationTime");
    }

    [Fact]
    [Trait("uws", "2.6")]
    public async Task Several_filters_combine_with_AND()
    {
        var firstPending = await Client.CreateJobAsync("copy", ("text", "p1"));
        await Task.Delay(20);
        var completed = await Client.CreateCompletedCopyJobAsync("c1");
        await Task.Delay(20);
        var secondPending = await Client.CreateJobAsync("copy", ("text", "p2"));
        var firstCreated = (await Client.GetDocumentAsync(firstPending)).Child("creationTime").Value;

        Assert.Equal([JobIdOf(secondPending)], (await Client.GetJobListAsync("copy", "PHASE=PENDING&LAST=1")).JobRefIds());
        Assert.Equal([JobIdOf(secondPending)],
            (await Client.GetJobListAsync("copy", $"PHASE=PENDING&AFTER={Uri.EscapeDataString(firstCreated)}")).JobRefIds());
        Assert.Equal([JobIdOf(completed)],
            (await Client.GetJobListAsync("copy", $"PHASE=COMPLETED&PHASE=ABORTED&AFTER={Uri.EscapeDataString(firstCreated)}&LAST=5")).JobRefIds());
        Assert.Equal([JobIdOf(secondPending), JobIdOf(completed)],
            (await Client.GetJobListAsync("copy", $"AFTER={Uri.EscapeDataString(firstCreated)}&LAST=2")).JobRefIds());
    }

    [Fact]
    [Trait("uws", "2.2")]
    [Trait("uws", "2.3")]
    [Trait("uws", "8.3")]
    public async Task ARCHIVED_jobs_are_left_out_unless_PHASE_ARCHIVED_asks_for_them()
    {
        var archived = await Client.CreateCompletedCopyJobAsync("to archive");
        var completed = await Client.CreateCompletedCopyJobAsync("kept");
        await SetPhaseInDatabaseAsync(fixture.Server, JobIdOf(archived), "ARCHIVED");
        try
        {
            Assert.Equal("ARCHIVED", (await Client.GetDocumentAsync(archived)).Phase());

            var defaultList = (await Client.GetJobListAsync("copy")).JobRefIds();
            Assert.DoesNotContain(JobIdOf(archived), defaultList);
            Assert.Contains(JobIdOf(completed), defaultList);

            var archivedList = await Client.GetJobListAsync("copy", "PHASE=ARCHIVED");
            Assert.Contains(JobIdOf(archived), archivedList.JobRefIds());
            Assert.All(archivedList.JobRefs(), j => Assert.Equal("ARCHIVED", j.Element(U("phase"))!.Value));

            var union = (await Client.GetJobListAsync("copy", "PHASE=ARCHIVED&PHASE=COMPLETED")).JobRefIds();
            Assert.Contains(JobIdOf(archived), union);
            Assert.Contains(JobIdOf(completed), union);
        }
        finally
        {
            await Client.DestroyQuietlyAsync(archived);
        }
    }

    [Theory]
    [Trait("uws", "2.9")]
    [InlineData("PHASE=RUNNING", "PHASE")]
    [InlineData("PHASE=", "PHASE")]
    [InlineData("PHASE=3", "PHASE")]
    [InlineData("AFTER=yesterday", "AFTER")]
    [InlineData("AFTER=2024-13-01T00:00:00Z", "AFTER")]
    [InlineData("AFTER=", "AFTER")]
    [InlineData("LAST=0", "LAST")]
    [InlineData("LAST=-3", "LAST")]
    [InlineData("LAST=ten", "LAST")]
    [InlineData("LAST=1.5", "LAST")]
    [InlineData("LAST=1&LAST=2", "LAST")]
    public async Task Malformed_filter_values_are_400_naming_the_filter(string query, string filter)
    {
        using var response = await Client.GetAsync($"/rest/copy?{query}");
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, filter);
    }

    [Fact]
    [Trait("uws", "2.9")]
    [Trait("uws", "2.3")]
    public async Task Filter_names_and_phase_values_are_case_insensitive()
    {
        var pending = await Client.CreateJobAsync("copy", ("text", "case"));

        var upper = (await Client.GetJobListAsync("copy", "PHASE=PENDING&LAST=3")).JobRefIds();
        var lower = (await Client.GetJobListAsync("copy", "phase=pending&last=3")).JobRefIds();

        Assert.Contains(JobIdOf(pending), upper);
        Assert.Equal(upper, lower);
    }

    [Fact]
    [Trait("uws", "2.2")]
    public async Task A_filter_that_matches_nothing_gives_an_empty_valid_list()
    {
        var list = await Client.GetJobListAsync("copy", "PHASE=SUSPENDED");

        Assert.Equal("1.1", (string?)list.Root!.Attribute("version"));
        Assert.Empty(list.JobRefs());
    }

    [Fact]
    [Trait("uws", "2.8")]
    [Trait("uws", "4.5")]
    public async Task The_job_list_itself_cannot_be_deleted()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "survivor"));

        using var response = await Client.DeleteAsync("/rest/copy");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains(JobIdOf(job), (await Client.GetJobListAsync("copy")).JobRefIds());
    }

    [Fact]
    [Trait("uws", "1.2")]
    public async Task The_list_of_an_unknown_definition_is_404()
    {
        using var response = await Client.GetAsync("/rest/no-such-definition");
        await AssertRefusedAsync(response, HttpStatusCode.NotFound, "no-such-definition");
    }
}
