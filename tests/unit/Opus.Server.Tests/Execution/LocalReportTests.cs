using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>The local manager learns its runners' phases from their standard output, as they report them: no HTTP callback.</summary>
public sealed class LocalReportTests
{
    [Fact]
    public async Task Local_jobs_are_seen_EXECUTING_and_COMPLETED_with_no_callback_server_reachable()
    {
        // Nothing listens on port 9 (discard): a runner that called back would fail, and its phases be known only at its end.
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:CallbackUrl"] = "http://127.0.0.1:9/handler/job_event",
            ["Opus:KillGraceSeconds"] = "1",
        });
        var client = server.Client;

        // An hour's sleep: EXECUTING seen while it runs is the runner's report, not the end of the process.
        var sleeping = await client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(sleeping);
        var directory = server.JobDirectory(sleeping);
        try
        {
            await client.WaitForPhaseAsync(sleeping, "EXECUTING", Eventually.Bound);
            await client.AbortAsync(sleeping);
            Assert.Equal("ABORTED", (await client.GetXmlAsync(sleeping)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }

        var copy = await client.CreateJobAsync("copy", ("text", "piped"), ("PHASE", "RUN"));
        var done = await client.WaitForEndAsync(copy, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()} {done.ErrorMessage()}");
        Assert.Equal("piped", Encoding.UTF8.GetString(await client.GetResultBytesAsync(copy, "output")));
        var log = await File.ReadAllTextAsync(Path.Combine(server.JobDirectory(copy), "runner.log"));
        Assert.DoesNotContain("callback failed", log);
    }
}
