using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Opus.Server.Tests.Postgres;

/// <summary>Two server processes on one PostgreSQL database and one data folder share the work.</summary>
public sealed class TwoServersFixture : IAsyncLifetime
{
    public OpusServer First { get; private set; } = null!;

    public OpusServer Second { get; private set; } = null!;

    public string Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Connection = await TestPostgres.CreateDatabaseAsync("opus_two");
        var data = Directory.CreateTempSubdirectory("opus-two-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Opus:Storage:Provider"] = "Postgres",
            ["Opus:Storage:ConnectionString"] = Connection,
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
            ["Opus:MaxConcurrentJobs"] = "4",
            // The 200-job test runs them all as the anonymous caller, who is held to the per-user quota.
            ["Opus:MaxActiveJobsPerUser"] = "0",
        };
        // One after the other: the first migrates the database and creates the admin.
        First = await OpusServer.StartAsync(settings, data);
        Second = await OpusServer.StartAsync(settings, data);
    }

    public async Task DisposeAsync()
    {
        if (Second is not null)
            await Second.DisposeAsync();
        if (First is not null)
            await First.DisposeAsync();
        if (Connection is not null)
            await TestPostgres.DropDatabaseAsync(Connection);
    }
}

public sealed class TwoServerTests(TwoServersFixture fixture, ITestOutputHelper output) : IClassFixture<TwoServersFixture>
{
    private OpusServer First => fixture.First;

    private OpusServer Second => fixture.Second;

    [Fact]
    public async Task Two_hundred_jobs_run_through_both_none_started_twice_none_lost()
    {
        const int count = 200;
        var servers = new[] { First, Second };
        var texts = Enumerable.Range(0, count).Select(i => $"job {i} {Guid.NewGuid()}").ToArray();
        var jobs = new string[count];
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(16);

        // Created on either server; then RUN sent to both at once, so that both race to start each job.
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                jobs[i] = await servers[i % 2].Client.CreateJobAsync("copy", ("text", texts[i]));
                var runs = await Task.WhenAll(servers.Select(s => s.Client.PostFormAsync($"{jobs[i]}/phase", ("PHASE", "RUN"))));
                foreach (var run in runs)
                {
                    // A trivial job may have ended before the second RUN arrives: that RUN is refused, rightly.
                    var body = await run.Content.ReadAsStringAsync();
                    Assert.True(run.StatusCode == HttpStatusCode.SeeOther || (run.StatusCode == HttpStatusCode.Forbidden && body.Contains("cannot be run again", StringComparison.Ordinal)),
                        $"RUN of {jobs[i]}: {(int)run.StatusCode} {body}");
                    run.Dispose();
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        var ends = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                // Waited on the server that did not create it.
                var done = await servers[(i + 1) % 2].Client.WaitForEndAsync(jobs[i], Eventually.Bound);
                Assert.True(done.Phase() == "COMPLETED", $"{jobs[i]}: {done.Phase()} {done.ErrorMessage()}");
                Assert.Equal(Encoding.UTF8.GetBytes(texts[i]), await servers[i % 2].Client.GetResultBytesAsync(jobs[i], "output"));
                ends.Add(jobs[i]);
            }
            finally
            {
                gate.Release();
            }
        }));
        output.WriteLine($"{count} jobs created, run and checked through two servers in {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(count, ends.Distinct().Count());
        foreach (var job in jobs)
        {
            var events = await File.ReadAllLinesAsync(Path.Combine(First.JobDirectory(job), "events"));
            Assert.True(events.Count(l => l.Contains(" EXECUTING", StringComparison.Ordinal)) == 1, $"{job} started more than once:\n{string.Join('\n', events)}");
        }

        // Both processes started jobs: the owner recorded with each is one of two server processes.
        await using var db = await TestPostgres.OpenDatabaseAsync(First);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(DISTINCT split_part(\"ManagerJobId\", ' ', 2)) FROM jobs WHERE \"Definition\" = 'copy' AND \"Phase\" = 'COMPLETED'";
        Assert.Equal(2L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_abort_sent_to_the_other_server_stops_the_job()
    {
        // It cannot end before the abort: it would sleep an hour.
        var job = await First.Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = First.JobDirectory(job);
        try
        {
            await First.Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
            var running = await JobProcesses.WaitUntilAsync(id, directory, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            Assert.Contains(running, p => p.Command == "sleep");

            await Second.Client.AbortAsync(job);
            Assert.Equal("ABORTED", (await First.Client.GetXmlAsync(job)).Phase());
            await JobProcesses.AssertNoneLeftAsync(id, directory, Eventually.Bound);
            Assert.Equal("ABORTED", (await Second.Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task WAIT_on_one_server_wakes_when_the_other_ingests_the_end()
    {
        // Created and run on the first: its runner reports to the first server only. It ends when the test
        // opens its gate, while the WAIT on the second is under way.
        await Gate.PublishAsync(First);
        using var gate = new Gate();
        var job = await gate.RunJobAsync(First.Client);
        await First.Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);

        var clock = Stopwatch.StartNew();
        var waiting = Second.Client.GetXmlAsync($"{job}?WAIT=60&PHASE=EXECUTING");
        gate.Open();
        var seen = await waiting;
        var waited = clock.Elapsed;
        output.WriteLine($"WAIT on the second server returned {seen.Phase()} after {waited.TotalMilliseconds:0} ms");
        Assert.Equal("COMPLETED", seen.Phase());
        // Far below the 60 s WAIT even on a loaded machine: it woke on the change, not at the limit.
        Assert.True(waited < TimeSpan.FromSeconds(40), $"WAIT returned after {waited.TotalSeconds:0.0} s: it did not wake on the other server's change");
    }

    [Fact]
    public async Task A_server_starting_up_leaves_the_running_jobs_of_the_other_alone()
    {
        // The job runs until the test opens its gate, after the second server is back.
        await Gate.PublishAsync(First);
        using var gate = new Gate();
        var job = await gate.RunJobAsync(First.Client);
        await First.Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);

        // The second server restarts while the first runs the job: its start-up reconcile must not call it lost.
        await Second.KillAsync();
        await Second.RestartAsync();
        Assert.Equal("EXECUTING", (await Second.Client.GetXmlAsync(job)).Phase());
        gate.Open();

        var done = await Second.Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
        var events = await File.ReadAllLinesAsync(Path.Combine(First.JobDirectory(job), "events"));
        Assert.Equal(1, events.Count(l => l.Contains(" EXECUTING", StringComparison.Ordinal)));
    }
}
