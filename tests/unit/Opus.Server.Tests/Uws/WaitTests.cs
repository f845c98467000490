using System.Diagnostics;
using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>Blocking GET /{jobs}/{job-id}?WAIT=n[&amp;PHASE=p] (UWS 7.x).</summary>
[Collection(ServerCollection.Name)]
public sealed class WaitTests(ServerFixture fixture)
{
    // Scheduling and HTTP round trips on a machine whose load average is 10 (an idle one needs a few
    // milliseconds); far below Limit, so "at once" and "at the limit" stay apart.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(20);

    // The longest WAIT the shared server grants (Opus:WaitCapSeconds' default).
    private const int Limit = 60;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    [Trait("uws", "7.2")]
    public async Task WAIT_on_an_executing_job_returns_when_it_ends_not_at_the_limit()
    {
        // The job ends when the test opens its gate, while the WAIT is under way.
        await Gate.PublishAsync(fixture.Server);
        using var gate = new Gate();
        var job = await gate.RunJobAsync(Client);
        await Client.WaitForPhaseAsync(job, phase => phase == "EXECUTING", Eventually.Bound);
        var clock = Stopwatch.StartNew();

        // The server may also wake a waiter on a change other than the phase (UWS 7.2 SHOULD): wait again then.
        var waiting = Client.GetDocumentAsync($"{job}?WAIT={Limit}&PHASE=EXECUTING");
        gate.Open();
        var document = await waiting;
        for (var wakeups = 1; document.Phase() == "EXECUTING"; wakeups++)
        {
            Assert.True(wakeups < 4, "WAIT keeps returning while nothing changes");
            document = await Client.GetDocumentAsync($"{job}?WAIT={Limit}&PHASE=EXECUTING");
        }

        var returned = DateTime.UtcNow;
        Assert.Equal("COMPLETED", document.Phase());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(Limit) - Margin, $"WAIT={Limit} took {clock.Elapsed}; the job ended when the gate opened");
        var ended = document.TimeOf("endTime");
        Assert.True(returned - ended < Margin, $"WAIT returned {(returned - ended).TotalSeconds:F2} s after the job ended");
    }

    [Fact]
    [Trait("uws", "7.2")]
    [Trait("uws", "7.6")]
    public async Task WAIT_in_the_current_PHASE_returns_soon_after_a_client_changes_the_phase()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "30"));
        try
        {
            var clock = Stopwatch.StartNew();
            var waiting = Client.GetDocumentAsync($"{job}?WAIT={Limit}&PHASE=PENDING");
            // Not a wait for anything: a moment in which an early answer would show (on a loaded machine the WAIT may not even be sent yet).
            await Task.Delay(700);
            Assert.False(waiting.IsCompleted, "WAIT returned before anything changed");
            DateTime aborted;
            using (var abort = await Client.PostFormAsync($"{job}/phase", ("PHASE", "ABORT")))
            {
                aborted = DateTime.UtcNow;
                AssertSeeOther(abort, Client, job);
            }

            var document = await waiting;
            Assert.Equal("ABORTED", document.Phase());
            Assert.True(DateTime.UtcNow - aborted < Margin, $"WAIT returned {(DateTime.UtcNow - aborted).TotalSeconds:F2} s after the abort");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(Limit) - Margin, $"WAIT={Limit} took {clock.Elapsed}");
        }
        finally
        {
            await Client.DestroyQuietlyAsync(job);
        }
    }

    [Fact]
    [Trait("uws", "7.3")]
    [Trait("uws", "7.4")]
    public async Task WAIT_without_a_change_returns_after_at_most_n_seconds()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "stays pending"));
        var clock = Stopwatch.StartNew();

        var document = await Client.GetDocumentAsync($"{job}?WAIT=2");

        Assert.Equal("PENDING", document.Phase());
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(2) + Margin);
    }

    [Theory]
    [Trait("uws", "7.6")]
    [InlineData("EXECUTING")]
    [InlineData("QUEUED")]
    [InlineData("COMPLETED")]
    [InlineData("executing")]
    public async Task WAIT_with_a_PHASE_the_job_is_not_in_answers_at_once(string phase)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "pending"));
        var clock = Stopwatch.StartNew();

        var document = await Client.GetDocumentAsync($"{job}?WAIT={Limit}&PHASE={phase}");

        Assert.Equal("PENDING", document.Phase());
        Assert.True(clock.Elapsed < Margin, $"the PHASE guard took {clock.Elapsed}");
    }

    [Theory]
    [Trait("uws", "7.4")]
    [InlineData("")]
    [InlineData("&PHASE=COMPLETED")]
    [InlineData("&PHASE=EXECUTING")]
    public async Task WAIT_on_a_final_job_answers_at_once(string phase)
    {
        var job = await Client.CreateCompletedCopyJobAsync("done");
        var clock = Stopwatch.StartNew();

        var document = await Client.GetDocumentAsync($"{job}?WAIT={Limit}{phase}");

        Assert.Equal("COMPLETED", document.Phase());
        Assert.True(clock.Elapsed < Margin, $"WAIT on a COMPLETED job took {clock.Elapsed}");
    }

    [Fact]
    [Trait("uws", "7.3")]
    public async Task WAIT_0_answers_at_once()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "pending"));
        var clock = Stopwatch.StartNew();

        Assert.Equal("PENDING", (await Client.GetDocumentAsync($"{job}?WAIT=0")).Phase());
        Assert.True(clock.Elapsed < Margin);
    }

    [Theory]
    [Trait("uws", "7.1")]
    [InlineData("WAIT=soon", "WAIT")]
    [InlineData("WAIT=1.5", "WAIT")]
    [InlineData("WAIT=", "WAIT")]
    [InlineData("WAIT=99999999999", "WAIT")]
    [InlineData("WAIT=1&WAIT=2", "WAIT")]
    [InlineData("WAIT=5&PHASE=RUNNING", "PHASE")]
    public async Task Malformed_WAIT_or_PHASE_is_400_at_once(string query, string named)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "pending"));
        var clock = Stopwatch.StartNew();

        using var response = await Client.GetAsync($"{job}?{query}");

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, named);
        Assert.True(clock.Elapsed < Margin);
    }

    [Fact]
    [Trait("uws", "7.1")]
    [Trait("uws", "1.2")]
    public async Task WAIT_on_an_unknown_job_is_404()
    {
        using var response = await Client.GetAsync("/rest/copy/nosuchjob?WAIT=5");

        await AssertRefusedAsync(response, HttpStatusCode.NotFound, "nosuchjob");
    }
}

/// <summary>WAIT=-1 and long WAITs are capped (UWS 7.5): a server whose cap is 2 s.</summary>
public sealed class WaitCapTests : IAsyncLifetime
{
    private const int CapSeconds = 2;
    private OpusServer _server = null!;

    private HttpClient Client => _server.Client;

    public async Task InitializeAsync() =>
        _server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:WaitCapSeconds"] = CapSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [Trait("uws", "7.5")]
    [Trait("uws", "7.3")]
    [InlineData("-1")]
    [InlineData("600")]
    public async Task A_WAIT_longer_than_the_cap_returns_at_the_cap(string wait)
    {
        var job = await Client.CreateJobAsync("copy", ("text", "stays pending"));
        var clock = Stopwatch.StartNew();

        var document = await Client.GetDocumentAsync($"{job}?WAIT={wait}");

        Assert.Equal("PENDING", document.Phase());
        // The upper bound leaves room for a loaded machine; uncapped, the WAIT would last ten minutes or forever.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(CapSeconds - 0.2), TimeSpan.FromSeconds(CapSeconds + 20));
    }
}
