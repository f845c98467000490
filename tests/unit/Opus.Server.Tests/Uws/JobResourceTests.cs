using System.Net;
using System.Web;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>The job resource /{jobs}/{job-id}: its document, DELETE and ACTION=DELETE (UWS 4.x).</summary>
[Collection(ServerCollection.Name)]
public sealed class JobResourceTests(ServerFixture fixture)
{
    private static readonly string[] JobElementOrder =
    [
        "jobId", "runId", "ownerId", "phase", "quote", "creationTime", "startTime", "endTime",
        "executionDuration", "destruction", "parameters", "results", "errorSummary", "jobInfo",
    ];

    private static readonly string[] RequiredOnce =
        ["jobId", "ownerId", "phase", "creationTime", "startTime", "endTime", "executionDuration", "destruction", "results"];

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    [Trait("uws", "4.1")]
    [Trait("uws", "4.2")]
    [Trait("uws", "1.6")]
    [Trait("uws", "1.9")]
    [Trait("uws", "5.8")]
    public async Task A_pending_job_document_has_nil_times_and_owner_and_an_empty_results_list()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "document"));

        var document = await Client.GetDocumentAsync(job);

        Assert.Equal(U("job"), document.Root!.Name);
        Assert.Equal("1.1", (string?)document.Root.Attribute("version"));
        Assert.Equal(JobIdOf(job), document.Child("jobId").Value);
        Assert.Equal("PENDING", document.Phase());
        ParseUtc(document.Child("creationTime").Value);
        foreach (var nil in new[] { "startTime", "endTime", "ownerId" })
        {
            Assert.True(document.Child(nil).IsNil(), $"<uws:{nil}> should be xsi:nil=\"true\"");
            Assert.Empty(document.Child(nil).Value);
        }

        Assert.Empty(document.Child("results").Elements());
        Assert.Empty(document.Root.Elements(U("errorSummary")));
        foreach (var name in RequiredOnce)
            Assert.Single(document.Root.Elements(U(name)));
        Assert.True(document.Root.Elements(U("quote")).Count() <= 1);
        Assert.True(document.Root.Elements(U("runId")).Count() <= 1);
        AssertSchemaOrder(document);
    }

    [Fact]
    [Trait("uws", "1.8")]
    [Trait("uws", "4.1")]
    [Trait("uws", "6.1")]
    public async Task A_finished_job_has_UTC_times_ending_in_Z_in_a_consistent_order()
    {
        var before = DateTime.UtcNow.AddSeconds(-5);
        var job = await Client.CreateCompletedCopyJobAsync("times");

        var document = await Client.GetDocumentAsync(job);

        var created = document.TimeOf("creationTime");
        var started = document.TimeOf("startTime");
        var ended = document.TimeOf("endTime");
        Assert.InRange(created, before, DateTime.UtcNow.AddSeconds(5));
        Assert.True(created <= started, $"creation {created:O} after start {started:O}");
        Assert.True(started <= ended, $"start {started:O} after end {ended:O}");
        Assert.True(document.TimeOf("destruction") > ended);
        if (!document.Child("quote").IsNil())
            document.TimeOf("quote");
        AssertSchemaOrder(document);
    }

    [Theory]
    [Trait("uws", "1.7")]
    [Trait("uws", "1.5")]
    [InlineData("application/xml,text/plain")]
    [InlineData("text/html,application/xhtml+xml")]
    [InlineData("*/*")]
    public async Task The_job_is_served_as_XML_whatever_the_client_accepts(string accept)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "negotiation"));

        var document = await Client.GetDocumentAsync(job, accept);
        Assert.Equal(JobIdOf(job), document.Child("jobId").Value);
        var list = await Client.GetDocumentAsync("/rest/copy?LAST=1", accept);
        Assert.Equal(U("jobs"), list.Root!.Name);
    }

    [Fact]
    [Trait("uws", "4.3")]
    [Trait("uws", "4.6")]
    [Trait("uws", "2.7")]
    public async Task DELETE_destroys_the_job_and_redirects_to_a_short_job_list()
    {
        var job = await Client.CreateCompletedCopyJobAsync("to delete");

        using var response = await Client.DeleteAsync(job);

        await AssertDeletedAsync(response, job);
    }

    [Fact]
    [Trait("uws", "4.4")]
    [Trait("uws", "4.6")]
    [Trait("uws", "2.7")]
    public async Task POST_ACTION_DELETE_does_the_same_as_DELETE()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "to delete by form"));

        using var response = await Client.PostFormAsync(job, ("ACTION", "DELETE"));

        await AssertDeletedAsync(response, job);
    }

    [Fact]
    [Trait("uws", "4.6")]
    public async Task Deleting_an_executing_job_stops_it_and_forgets_it()
    {
        var job = await Client.StartSleepJobAsync(3600);

        // The client's own timeout bounds the DELETE; how fast it is is measured, not asserted.
        using var response = await Client.DeleteAsync(job);

        await AssertDeletedAsync(response, job);
        Assert.DoesNotContain(JobIdOf(job), (await Client.GetJobListAsync("sleep", "PHASE=EXECUTING&PHASE=QUEUED")).JobRefIds());
    }

    [Fact]
    [Trait("uws", "4.4")]
    public async Task An_unsupported_ACTION_is_400_and_leaves_the_job()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "kept"));

        using var response = await Client.PostFormAsync(job, ("ACTION", "DESTROY"));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "ACTION");
        Assert.Equal("PENDING", (await Client.GetDocumentAsync(job)).Phase());
    }

    [Fact]
    [Trait("uws", "1.2")]
    [Trait("uws", "4.3")]
    public async Task Deleting_an_unknown_job_is_404()
    {
        using var delete = await Client.DeleteAsync("/rest/copy/nosuchjob");
        await AssertRefusedAsync(delete, HttpStatusCode.NotFound, "nosuchjob");
        using var action = await Client.PostFormAsync("/rest/copy/nosuchjob", ("ACTION", "DELETE"));
        await AssertRefusedAsync(action, HttpStatusCode.NotFound, "nosuchjob");
    }

    [Theory]
    [Trait("uws", "4.5")]
    [Trait("uws", "5.6")]
    [InlineData("phase")]
    [InlineData("executionduration")]
    [InlineData("destruction")]
    [InlineData("quote")]
    [InlineData("owner")]
    [InlineData("error")]
    [InlineData("parameters")]
    [InlineData("parameters/text")]
    [InlineData("results")]
    [InlineData("results/output")]
    public async Task No_sub_resource_can_be_deleted(string child)
    {
        var job = await Client.CreateCompletedCopyJobAsync("undeletable");

        using var response = await Client.DeleteAsync($"{job}/{child}");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var document = await Client.GetDocumentAsync(job);
        Assert.Equal("COMPLETED", document.Phase());
        // One result file (besides the provenance results of provenance.md section 5).
        Assert.Single(document.Child("results").Elements(U("result")), r => (string?)r.Attribute("id") == "output");
        Assert.Single(document.Child("parameters").Elements(U("parameter")));
        using var result = await Client.GetAsync($"{job}/results/output");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
    }

    [Fact]
    [Trait("uws", "1.10")]
    [Trait("uws", "5.9")]
    public async Task GET_requests_never_change_the_job()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "untouched"));

        await Client.GetDocumentAsync($"{job}?PHASE=RUN");
        await Client.GetTextAsync($"{job}/phase?PHASE=RUN");
        await Client.GetTextAsync($"{job}/executionduration?EXECUTIONDURATION=5");
        await Client.GetDocumentAsync($"{job}/parameters?text=changed");

        var document = await Client.GetDocumentAsync(job);
        Assert.Equal("PENDING", document.Phase());
        Assert.NotEqual("5", document.Child("executionDuration").Value);
        Assert.Equal("untouched", document.Child("parameters").Element(U("parameter"))!.Value);
    }

    private async Task AssertDeletedAsync(HttpResponseMessage response, string job)
    {
        var location = AssertSeeOther(response, Client, job[..job.LastIndexOf('/')]);
        var last = HttpUtility.ParseQueryString(location.Query)["LAST"];
        Assert.NotNull(last);
        Assert.True(int.TryParse(last, out var n) && n > 0, $"LAST={last} in the Location is not a positive integer");

        var list = await Client.GetDocumentAsync(location.PathAndQuery);
        Assert.DoesNotContain(JobIdOf(job), list.JobRefIds());
        Assert.True(list.JobRefs().Count <= n);

        foreach (var path in new[] { job, $"{job}/phase", $"{job}/results", $"{job}/parameters" })
        {
            using var gone = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    private static void AssertSchemaOrder(System.Xml.Linq.XDocument document)
    {
        var names = document.Root!.Elements().Select(e => e.Name.LocalName).ToList();
        var positions = names.Select(name => Array.IndexOf(JobElementOrder, name)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order().ToList(), positions);
    }
}
