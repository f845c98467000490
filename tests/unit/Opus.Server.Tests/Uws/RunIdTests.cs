using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>RUNID after creation (UWS 1.1, taplint E-UWS-PORE-1): applied while PENDING, refused after, never silently dropped.</summary>
[Collection(ServerCollection.Name)]
public sealed class RunIdTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task RUNID_posted_to_a_pending_job_is_applied_and_listed()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "x"), ("RUNID", Unique("before")));
        var after = Unique("after");

        using var response = await Client.PostFormAsync(job, ("RUNID", after));

        AssertSeeOther(response, Client, job);
        Assert.Equal(after, (await Client.GetDocumentAsync(job)).Child("runId").Value);
        Assert.Contains(JobIdOf(job), await Client.JobsWithRunIdAsync("copy", after));
    }

    [Fact]
    public async Task runId_posted_to_parameters_sets_the_RUNID_and_is_not_a_parameter()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "x"));
        var runId = Unique("pore");

        using var response = await Client.PostFormAsync($"{job}/parameters", ("runId", runId), ("text", "y"));

        AssertSeeOther(response, Client, job);
        var document = await Client.GetDocumentAsync(job);
        Assert.Equal(runId, document.Child("runId").Value);
        var parameter = Assert.Single(document.Child("parameters").Elements(U("parameter")));
        Assert.Equal("text", (string?)parameter.Attribute("id"));
        Assert.Equal("y", parameter.Value);
    }

    [Fact]
    public async Task RUNID_of_a_finished_job_is_refused_with_403_and_kept()
    {
        var job = await Client.CreateCompletedCopyJobAsync("done");
        var before = (await Client.GetDocumentAsync(job)).Root!.Element(U("runId"))?.Value;

        using (var toJob = await Client.PostFormAsync(job, ("RUNID", "changed")))
            await AssertRefusedAsync(toJob, HttpStatusCode.Forbidden, "COMPLETED", "RUNID");
        using (var toParameters = await Client.PostFormAsync($"{job}/parameters", ("runId", "changed")))
            await AssertRefusedAsync(toParameters, HttpStatusCode.Forbidden, "COMPLETED", "RUNID");

        Assert.Equal(before, (await Client.GetDocumentAsync(job)).Root!.Element(U("runId"))?.Value);
    }

    [Fact]
    public async Task An_empty_post_to_a_job_is_a_400_not_a_silent_303()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "x"));

        using var response = await Client.PostFormAsync(job);

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "nothing to change");
    }

    [Fact]
    public async Task A_RUNID_over_1024_characters_is_a_400()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "x"));

        using var response = await Client.PostFormAsync(job, ("RUNID", new string('r', 1025)));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "RUNID");
    }
}
