using System.Text;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Slurm;

/// <summary>Jobs run by the SLURM manager on the real single-node cluster, through the UWS API.</summary>
public sealed class SlurmExecutionTests(SlurmServerFixture fixture) : IClassFixture<SlurmServerFixture>
{
    // A trivial SLURM job takes about a second from sbatch to its end; the bound is for a loaded machine.
    private static readonly TimeSpan ShortJob = Eventually.Bound;

    private OpusServer Server => fixture.Server;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_job_completes_with_its_result_and_SLURM_ran_it()
    {
        var text = $"through SLURM 🛰 {Guid.NewGuid()}";
        var job = await Client.CreateJobAsync("copy", ("text", text), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, ShortJob);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        Assert.Equal(Encoding.UTF8.GetBytes(text), await Client.GetResultBytesAsync(job, "output"));
        Assert.NotNull(done.Root!.Element(UwsSchema.Uws + "startTime"));

        var slurm = await SlurmCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "COMPLETED", Eventually.Bound);
        Assert.Equal("COMPLETED", slurm?.State);
        // sbatch's own output files are in the job directory (the runner writes its log beside them).
        Assert.True(File.Exists(Path.Combine(Server.JobDirectory(job), "slurm.out")), "no slurm.out in the job directory");
    }

    [Fact]
    public async Task A_failing_job_ends_in_ERROR_with_its_message()
    {
        var message = $"broken on purpose {Guid.NewGuid()}";
        var job = await Client.CreateJobAsync("fail", ("message", message), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, ShortJob);
        Assert.Equal("ERROR", done.Phase());
        var error = done.ErrorMessage() ?? "";
        Assert.Contains("status 3", error);
        Assert.Contains(message, error);
        Assert.Equal("FAILED", (await SlurmCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "FAILED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task An_aborted_running_job_ends_ABORTED_with_no_process_left()
    {
        // It cannot end before the abort: it would sleep an hour.
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = Server.JobDirectory(job);
        try
        {
            await Client.WaitForPhaseAsync(job, "EXECUTING", ShortJob);
            var running = await JobProcesses.WaitUntilAsync(id, directory, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            Assert.Contains(running, p => p.Command == "sleep");

            await Client.AbortAsync(job);
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());

            // scancel: SIGTERM to the whole batch step, SIGKILL after KillWait (5 s in the project's slurm.conf).
            await JobProcesses.AssertNoneLeftAsync(id, directory, Eventually.Bound);
            Assert.Equal("CANCELLED", (await SlurmCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
            // The runner's trap reports ERROR on SIGTERM; it must not replace the abort. Its report (a child of
            // the runner) has been sent by now: no process of the job is left.
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task A_job_aborted_while_PENDING_in_SLURM_ends_ABORTED_and_is_cancelled_there()
    {
        var job = await Client.CreateJobAsync("parked", ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var pending = await SlurmCluster.WaitForStateAsync(id, s => s == "PENDING", Eventually.Bound);
        Assert.Equal("PENDING", pending?.State);
        Assert.Equal("QUEUED", (await Client.GetXmlAsync(job)).Phase());

        await Client.AbortAsync(job);
        Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
        Assert.Equal("CANCELLED", (await SlurmCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task A_job_cancelled_in_SLURM_while_PENDING_is_settled_by_the_reconcile()
    {
        // No runner ever starts, so no report ever comes: only the reconcile (every 2 s here) can tell.
        var job = await Client.CreateJobAsync("parked", ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        Assert.Equal("PENDING", (await SlurmCluster.WaitForStateAsync(id, s => s == "PENDING", Eventually.Bound))?.State);

        var cancel = await SlurmCluster.RunAsync("scancel", $"--name=opus-{id}");
        Assert.Equal(0, cancel.ExitCode);

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.Equal("ABORTED", done.Phase());
    }

    [Fact]
    public async Task A_job_held_in_SLURM_is_HELD_and_runs_on_when_released()
    {
        var job = await Client.CreateJobAsync("parked", ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var pending = await SlurmCluster.WaitForStateAsync(id, s => s == "PENDING", Eventually.Bound);
        Assert.Equal(0, (await SlurmCluster.RunAsync("scontrol", "hold", pending!.Value.SlurmId)).ExitCode);

        await Client.WaitForPhaseAsync(job, "HELD", Eventually.Bound);
        Assert.Equal(0, (await SlurmCluster.RunAsync("scontrol", "release", pending.Value.SlurmId)).ExitCode);
        await Client.WaitForPhaseAsync(job, "QUEUED", Eventually.Bound);

        await Client.AbortAsync(job);
        Assert.Equal("CANCELLED", (await SlurmCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task Twenty_jobs_submitted_at_once_all_complete()
    {
        var texts = Enumerable.Range(0, 20).Select(i => $"job {i} {Guid.NewGuid()}").ToList();
        var jobs = await Task.WhenAll(texts.Select(text => Client.CreateJobAsync("copy", ("text", text), ("PHASE", "RUN"))));

        var ends = await Task.WhenAll(jobs.Select(job => Client.WaitForEndAsync(job, Eventually.Bound)));
        for (var i = 0; i < jobs.Length; i++)
        {
            Assert.True(ends[i].Phase() == "COMPLETED", $"{jobs[i]}: {ends[i].Phase()} {ends[i].ErrorMessage()}");
            Assert.Equal(Encoding.UTF8.GetBytes(texts[i]), await Client.GetResultBytesAsync(jobs[i], "output"));
        }

        // Each ran once, in SLURM, under its own name. The runner reports before its batch step exits, so
        // SLURM may still say RUNNING for a moment after Opus says COMPLETED.
        foreach (var job in jobs)
            Assert.Equal("COMPLETED", (await SlurmCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "COMPLETED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task A_definition_may_ask_for_the_local_manager()
    {
        var job = await Client.CreateJobAsync("local-copy", ("text", "here"), ("PHASE", "RUN"));
        var done = await Client.WaitForEndAsync(job, ShortJob);
        Assert.Equal("COMPLETED", done.Phase());
        Assert.Equal("here"u8.ToArray(), await Client.GetResultBytesAsync(job, "output"));
        Assert.Null(await SlurmCluster.StateOfAsync(JobSteps.JobId(job)));
        Assert.False(File.Exists(Path.Combine(Server.JobDirectory(job), "slurm.out")));
    }

    [Fact]
    public async Task A_partition_SLURM_does_not_have_ends_the_job_in_ERROR_with_sbatch_message()
    {
        await using var server = await SlurmCluster.StartServerAsync(new Dictionary<string, string> { ["Opus:Slurm:Partition"] = "nosuchpartition" });
        var job = await server.Client.CreateJobAsync("copy", ("text", "x"), ("PHASE", "RUN"));
        var done = await server.Client.WaitForEndAsync(job, ShortJob);
        Assert.Equal("ERROR", done.Phase());
        Assert.Contains("SLURM refused the job", done.ErrorMessage());
        Assert.Contains("partition", done.ErrorMessage());
    }
}

/// <summary>The time limit: SLURM counts whole minutes and enforces them every ~30 s, so this takes 60-100 s.</summary>
public sealed class SlurmTimeLimitTests(SlurmServerFixture fixture) : IClassFixture<SlurmServerFixture>
{
    [Fact]
    public async Task A_job_past_its_time_limit_ends_in_ERROR_saying_so()
    {
        var client = fixture.Server.Client;
        // 20 s becomes --time=1 (rounded up to a minute).
        var job = await client.CreateJobAsync("sleep", ("seconds", "600"), ("EXECUTIONDURATION", "20"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        try
        {
            // SLURM enforces whole minutes about every 30 s: 60-100 s idle, more on a loaded machine.
            var done = await client.WaitForEndAsync(job, TimeSpan.FromSeconds(300));
            Assert.Equal("ERROR", done.Phase());
            Assert.Contains("time limit", done.ErrorMessage());
            Assert.Equal("TIMEOUT", (await SlurmCluster.StateOfAsync(id))?.State);
            Assert.Contains("--time=1 (SLURM limits are whole minutes, rounded up)", fixture.Server.Log);
        }
        finally
        {
            await SlurmCluster.RunAsync("scancel", $"--name=opus-{id}");
        }
    }
}

/// <summary>A server killed while its SLURM jobs run, and started again.</summary>
public sealed class SlurmRestartTests
{
    [Fact]
    public async Task The_restarted_server_picks_up_the_jobs_SLURM_ran_meanwhile()
    {
        await using var server = await SlurmCluster.StartServerAsync();
        var client = server.Client;
        // One ends while the server is down (its callback fails; the events file stays), one after the restart:
        // each waits for its gate, which the test opens at that point.
        await Gate.PublishAsync(server);
        using var quickGate = new Gate();
        using var slowGate = new Gate();
        var quick = await quickGate.RunJobAsync(client);
        var slow = await slowGate.RunJobAsync(client);
        var parked = await client.CreateJobAsync("parked", ("PHASE", "RUN"));
        await client.WaitForPhaseAsync(quick, "EXECUTING", Eventually.Bound);
        await client.WaitForPhaseAsync(slow, "EXECUTING", Eventually.Bound);

        await server.KillAsync();
        quickGate.Open();
        Assert.Equal("COMPLETED", (await SlurmCluster.WaitForStateAsync(JobSteps.JobId(quick), s => s == "COMPLETED", Eventually.Bound))?.State);
        // Cancelled in SLURM while the server is down: no report will ever come for it.
        await SlurmCluster.RunAsync("scancel", $"--name=opus-{JobSteps.JobId(parked)}");
        await server.RestartAsync();

        var quickDone = await client.WaitForEndAsync(quick, Eventually.Bound);
        Assert.True(quickDone.Phase() == "COMPLETED", $"{quickDone.Phase()}: {quickDone.ErrorMessage()}");
        Assert.Equal("gate opened\n", Encoding.UTF8.GetString(await client.GetResultBytesAsync(quick, "report")));

        Assert.Equal("EXECUTING", (await client.GetXmlAsync(slow)).Phase());
        slowGate.Open();
        var slowDone = await client.WaitForEndAsync(slow, Eventually.Bound);
        Assert.True(slowDone.Phase() == "COMPLETED", $"{slowDone.Phase()}: {slowDone.ErrorMessage()}");
        Assert.Equal("gate opened\n", Encoding.UTF8.GetString(await client.GetResultBytesAsync(slow, "report")));

        Assert.Equal("ABORTED", (await client.WaitForEndAsync(parked, Eventually.Bound)).Phase());
    }
}
