using System.Net;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests;

[Collection(ServerCollection.Name)]
public sealed class SmokeTests(ServerFixture fixture)
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task Copy_job_runs_to_completion_and_returns_its_text()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "hello"), ("PHASE", "RUN"));
        var done = await Client.WaitForFinalAsync(job);
        Assert.Equal("COMPLETED", done.Phase());
        using var result = await Client.GetAsync($"{job}/results/output");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal("hello", await result.Content.ReadAsStringAsync());
    }
}
