using System.Net;
using System.Text;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>Creating a job with POST /{jobs} (UWS 3.x) and the control parameters a creation may carry.</summary>
[Collection(ServerCollection.Name)]
public sealed class JobCreationTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    [Trait("uws", "3.1")]
    [Trait("uws", "1.1")]
    [Trait("uws", "1.1a")]
    [Trait("uws", "1.10")]
    public async Task Accepted_creation_answers_303_to_the_new_job_under_the_list()
    {
        using var response = await Client.PostFormAsync("/rest/copy", ("text", "hello"));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.True(location.IsAbsoluteUri, $"Location '{location}' is not absolute");
        var listUrl = new Uri(Client.BaseAddress!, "/rest/copy").AbsoluteUri;
        Assert.StartsWith(listUrl + "/", location.AbsoluteUri);
        var id = location.AbsoluteUri[(listUrl.Length + 1)..];
        Assert.NotEmpty(id);
        Assert.DoesNotContain('/', id);
        Assert.Equal(Uri.EscapeDataString(id), id);

        var job = await Client.GetDocumentAsync(location.PathAndQuery);
        Assert.Equal(id, job.Child("jobId").Value);
    }

    [Fact]
    [Trait("uws", "3.3")]
    [Trait("uws", "6.1")]
    public async Task A_new_job_is_PENDING_and_stays_there_until_RUN()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "waiting"));

        Assert.Equal("PENDING", (await Client.GetDocumentAsync(job)).Phase());
        Assert.Equal("PENDING", (await Client.GetDocumentAsync($"{job}?WAIT=1")).Phase());
        Assert.Equal("PENDING", await Client.GetTextAsync($"{job}/phase"));
    }

    [Fact]
    [Trait("uws", "3.6")]
    [Trait("uws", "8.2")]
    [Trait("uws", "8.4")]
    public async Task The_service_sets_the_initial_execution_duration_and_destruction_time()
    {
        var job = await Client.GetDocumentAsync(await Client.CreateJobAsync("copy", ("text", "defaults")));

        var duration = int.Parse(job.Child("executionDuration").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(duration >= 0, $"executionDuration {duration} is negative");
        var destruction = job.Child("destruction");
        Assert.False(destruction.IsNil(), "the server should set a destruction time at creation");
        Assert.True(ParseUtc(destruction.Value) > job.TimeOf("creationTime"));
    }

    [Fact]
    [Trait("uws", "3.5")]
    [Trait("uws", "9.3")]
    public async Task Parameters_can_be_sent_as_multipart_form_data()
    {
        var runId = Unique("multipart");
        using var form = new MultipartFormDataContent
        {
            { new StringContent("from a multipart form", Encoding.UTF8), "text" },
            { new StringContent(runId, Encoding.UTF8), "RUNID" },
        };

        using var response = await Client.PostAsync("/rest/copy", form);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith("/rest/copy/", location.AbsolutePath);
        var job = await Client.GetDocumentAsync(location.AbsolutePath);
        Assert.Equal("PENDING", job.Phase());
        Assert.Equal(runId, job.Child("runId").Value);
        var parameter = Assert.Single(job.Child("parameters").Elements(U("parameter")));
        Assert.Equal("text", (string?)parameter.Attribute("id"));
        Assert.Equal("from a multipart form", parameter.Value);
    }

    [Fact]
    [Trait("uws", "3.4")]
    [Trait("uws", "9.4")]
    [Trait("uws", "6.4")]
    public async Task PHASE_RUN_at_creation_starts_the_job()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "run at once"), ("PHASE", "RUN"));

        var right = await Client.GetDocumentAsync(job);
        Assert.Contains(right.Phase(), new[] { "QUEUED", "EXECUTING", "COMPLETED" });
        Assert.Equal("COMPLETED", (await Client.WaitForFinalPhaseAsync(job)).Phase());
    }

    [Theory]
    [Trait("uws", "3.4")]
    [Trait("uws", "3.2")]
    [InlineData("ABORT")]
    [InlineData("QUEUED")]
    [InlineData("nonsense")]
    public async Task Only_PHASE_RUN_is_accepted_at_creation(string phase)
    {
        var runId = Unique("bad-phase");

        using var response = await Client.PostFormAsync("/rest/copy", ("text", "x"), ("PHASE", phase), ("RUNID", runId));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "PHASE");
        Assert.Empty(await Client.JobsWithRunIdAsync("copy", runId));
    }

    [Theory]
    [Trait("uws", "4.8")]
    [Trait("uws", "3.4")]
    [InlineData("plain")]
    [InlineData("  leading and trailing blanks  ")]
    [InlineData("<markup> & \"quotes\" 'apostrophes' </markup>")]
    [InlineData("percent%20plus+semicolon;slash/question?hash#")]
    [InlineData("Unicode: été, 漢字, 🚀")]
    [InlineData("tab\there")]
    public async Task RUNID_is_echoed_exactly_as_given(string runId)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "x"), ("RUNID", runId));

        Assert.Equal(runId, (await Client.GetDocumentAsync(job)).Child("runId").Value);
        var jobref = Assert.Single((await Client.GetJobListAsync("copy")).JobRefs(), j => (string?)j.Attribute("id") == JobIdOf(job));
        Assert.Equal(runId, jobref.Element(U("runId"))!.Value);
    }

    [Fact]
    [Trait("uws", "4.8")]
    public async Task Several_jobs_may_share_one_RUNID()
    {
        var runId = Unique("shared");
        var first = await Client.CreateJobAsync("copy", ("text", "1"), ("RUNID", runId));
        var second = await Client.CreateJobAsync("copy", ("text", "2"), ("RUNID", runId));

        var sharing = await Client.JobsWithRunIdAsync("copy", runId);

        Assert.Equal(2, sharing.Count);
        Assert.Contains(JobIdOf(first), sharing);
        Assert.Contains(JobIdOf(second), sharing);
    }

    [Fact]
    [Trait("uws", "3.4")]
    [Trait("uws", "5.2")]
    [Trait("uws", "5.3")]
    [Trait("uws", "9.4")]
    public async Task EXECUTIONDURATION_and_DESTRUCTION_at_creation_are_applied()
    {
        var destruction = FormatUtc(DateTime.UtcNow.AddDays(2));

        var job = await Client.CreateJobAsync("copy", ("text", "x"), ("EXECUTIONDURATION", "17"), ("DESTRUCTION", destruction));

        var document = await Client.GetDocumentAsync(job);
        Assert.Equal("17", document.Child("executionDuration").Value);
        Assert.Equal(ParseUtc(destruction), document.TimeOf("destruction"));
        Assert.Equal("17", await Client.GetTextAsync($"{job}/executionduration"));
        Assert.Equal(ParseUtc(destruction), ParseUtc(await Client.GetTextAsync($"{job}/destruction")));
        // Control parameters are not job parameters.
        Assert.Equal(["text"], document.Child("parameters").Elements(U("parameter")).Select(p => (string)p.Attribute("id")!));
    }

    [Theory]
    [Trait("uws", "3.4")]
    [Trait("uws", "3.2")]
    [InlineData("EXECUTIONDURATION", "ten")]
    [InlineData("EXECUTIONDURATION", "-5")]
    [InlineData("EXECUTIONDURATION", "1.5")]
    [InlineData("DESTRUCTION", "tomorrow")]
    [InlineData("DESTRUCTION", "2001-01-01T00:00:00Z")]
    [InlineData("RUNID", "given-twice")]
    public async Task Malformed_control_values_at_creation_are_400_and_create_nothing(string name, string value)
    {
        var runId = Unique("bad-control");
        // For RUNID, the value and the run id make RUNID appear twice.
        var form = new List<KeyValuePair<string, string>> { new("text", "x"), new(name, value), new("RUNID", runId) };

        using var response = await Client.PostFormAsync("/rest/copy", form);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, name);
        Assert.Empty(await Client.JobsWithRunIdAsync("copy", runId));
    }

    [Theory]
    [Trait("uws", "3.2")]
    [Trait("uws", "9.1")]
    [InlineData("copy", "text=x&colour=red", "colour")]
    [InlineData("copy", "", "text")]
    [InlineData("sleep", "seconds=abc", "seconds")]
    [InlineData("sleep", "seconds=2.5", "seconds")]
    [InlineData("sleep", "seconds=3601", "seconds")]
    [InlineData("sleep", "seconds=-1", "seconds")]
    [InlineData("sleep", "seconds=1&seconds=2", "seconds")]
    public async Task Invalid_job_parameters_are_400_naming_the_parameter_and_create_nothing(string definition, string parameters, string named)
    {
        var runId = Unique("invalid");
        var form = parameters.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(pair => new KeyValuePair<string, string>(pair[0], pair[1]))
            .Append(new("RUNID", runId));

        using var response = await Client.PostFormAsync($"/rest/{definition}", form);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, named);
        Assert.Empty(await Client.JobsWithRunIdAsync(definition, runId));
    }

    [Fact]
    [Trait("uws", "3.5")]
    public async Task A_body_that_is_not_a_form_is_400()
    {
        using var response = await Client.PostAsync("/rest/copy", new StringContent("<job/>", Encoding.UTF8, "application/xml"));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    [Trait("uws", "1.2")]
    public async Task Creating_a_job_in_an_unknown_list_is_404()
    {
        using var response = await Client.PostFormAsync("/rest/no-such-definition", ("text", "x"));

        await AssertRefusedAsync(response, HttpStatusCode.NotFound, "no-such-definition");
    }
}
