using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>A server that runs one job at a time, so a second job stays QUEUED (UWS 6.2, 6.4).</summary>
public sealed class QueuedJobTests : IAsyncLifetime
{
    private OpusServer _server = null!;

    private HttpClient Client => _server.Client;

    public async Task InitializeAsync()
    {
        _server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxConcurrentJobs"] = "1",
            ["Opus:KillGraceSeconds"] = "1",
        });
        await Gate.PublishAsync(_server);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    [Trait("uws", "6.2")]
    [Trait("uws", "6.4")]
    [Trait("uws", "5.1")]
    public async Task A_QUEUED_job_can_be_aborted_and_never_starts()
    {
        var running = await Client.StartSleepJobAsync(3600);
        try
        {
            var queued = await Client.CreateJobAsync("sleep", ("seconds", "1"), ("PHASE", "RUN"));
            Assert.Equal("QUEUED", (await Client.GetDocumentAsync($"{queued}?WAIT=1")).Phase());

            using (var abort = await Client.PostFormAsync($"{queued}/phase", ("PHASE", "ABORT")))
                AssertSeeOther(abort, Client, queued);

            var document = await Client.GetDocumentAsync(queued);
            Assert.Equal("ABORTED", document.Phase());
            Assert.True(document.Child("startTime").IsNil(), "a job aborted in the queue never started");
            Assert.Equal("EXECUTING", await Client.GetTextAsync($"{running}/phase"));
        }
        finally
        {
            await Client.DestroyQuietlyAsync(running);
        }
    }

    [Fact]
    [Trait("uws", "7.2")]
    [Trait("uws", "7.6")]
    public async Task WAIT_on_a_QUEUED_job_returns_when_it_starts()
    {
        // The running job holds the only slot until the test opens its gate, while the WAIT is under way.
        using var gate = new Gate();
        var running = await gate.RunJobAsync(Client);
        Assert.Equal("EXECUTING", (await Client.WaitForPhaseAsync(running, phase => phase is not ("PENDING" or "QUEUED"), Eventually.Bound)).Phase());
        var queued = await Client.CreateJobAsync("sleep", ("seconds", "1"), ("PHASE", "RUN"));
        try
        {
            Assert.Equal("QUEUED", (await Client.GetDocumentAsync(queued)).Phase());
            var waiting = Client.GetDocumentAsync($"{queued}?WAIT=60&PHASE=QUEUED");
            gate.Open();
            var document = await waiting;
            for (var wakeups = 1; document.Phase() == "QUEUED"; wakeups++)
            {
                Assert.True(wakeups < 4, "WAIT keeps returning while the job stays QUEUED");
                document = await Client.GetDocumentAsync($"{queued}?WAIT=60&PHASE=QUEUED");
            }

            Assert.Contains(document.Phase(), new[] { "EXECUTING", "COMPLETED" });
            Assert.Equal("COMPLETED", (await Client.WaitForFinalPhaseAsync(running)).Phase());
        }
        finally
        {
            await Client.DestroyQuietlyAsync(queued);
            await Client.DestroyQuietlyAsync(running);
        }
    }
}
