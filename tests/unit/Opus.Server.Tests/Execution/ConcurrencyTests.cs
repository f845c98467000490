using System.Collections.Concurrent;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>Many clients at once, and the local manager's limit on jobs running at once.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Two_hundred_jobs_created_by_sixteen_clients_are_all_stored_once_with_their_own_values()
    {
        const int jobCount = 200;
        const int clientCount = 16;
        await using var server = await OpusServer.StartAsync();
        var created = new ConcurrentDictionary<string, string>();
        var next = -1;

        // Separate clients (own connections, redirects not followed), each taking the next job number until all are created.
        var clients = Enumerable.Range(0, clientCount)
            .Select(_ => new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri, Timeout = Eventually.Bound })
            .ToList();
        try
        {
            await Task.WhenAll(clients.Select(async client =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < jobCount)
                {
                    var text = $"job {n} {Guid.NewGuid():N}";
                    var job = await client.CreateJobAsync("copy", ("text", text));
                    Assert.True(created.TryAdd(JobSteps.JobId(job), text), $"job id {job} was given twice");
                }
            })).WaitAsync(Eventually.Bound);
            // Speed is measured (bench/), not asserted: the bound only ends a test that hangs.
            Assert.Equal(jobCount, created.Count);

            var listed = await server.Client.ListIdsAsync("/rest/copy");
            Assert.Equal(listed.Count, listed.Distinct().Count());
            Assert.Equal(created.Keys.Order(), listed.Order());

            // Each job answers with its own value (checked by the same parallel clients).
            var work = new ConcurrentQueue<KeyValuePair<string, string>>(created);
            await Task.WhenAll(clients.Select(async client =>
            {
                while (work.TryDequeue(out var entry))
                {
                    var job = await client.GetXmlAsync($"/rest/copy/{entry.Key}");
                    Assert.Equal(entry.Key, job.Root!.Element(UwsSchema.Uws + "jobId")!.Value);
                    Assert.Equal("PENDING", job.Phase());
                    Assert.Equal(entry.Value, job.ParameterValue("text"));
                }
            })).WaitAsync(Eventually.Bound);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    [Fact]
    public async Task With_one_slot_a_second_job_stays_QUEUED_while_the_first_EXECUTES()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxConcurrentJobs"] = "1",
            ["Opus:KillGraceSeconds"] = "1",
        });
        var client = server.Client;
        // The first holds the slot until the test aborts it: it cannot end on its own meanwhile.
        var first = await client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var second = await client.CreateJobAsync("sleep", ("seconds", "0"), ("PHASE", "RUN"));
        var third = await client.CreateJobAsync("sleep", ("seconds", "0"), ("PHASE", "RUN"));
        try
        {
            await client.WaitForPhaseAsync(first, "EXECUTING", Eventually.Bound);

            // WAIT on QUEUED returns at the first change; two seconds later it is still QUEUED.
            var waited = await client.GetXmlAsync($"{second}?WAIT=2&PHASE=QUEUED");
            Assert.Equal("QUEUED", waited.Phase());
            Assert.Equal("EXECUTING", (await client.GetXmlAsync(first)).Phase());
            Assert.Empty(JobProcesses.Of(JobSteps.JobId(second), server.JobDirectory(second)));
            Assert.False(File.Exists(Path.Combine(server.JobDirectory(second), "events")), "the second job's runner started");

            // A job aborted while it waits never starts.
            await client.AbortAsync(third);

            // Freeing the slot lets the second job run.
            await client.AbortAsync(first);
            var done = await client.WaitForEndAsync(second, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{second}: {done.Phase()} {done.ErrorMessage()}");
            Assert.Equal("ABORTED", (await client.GetXmlAsync(first)).Phase());
            Assert.Equal("ABORTED", (await client.GetXmlAsync(third)).Phase());
            Assert.False(File.Exists(Path.Combine(server.JobDirectory(third), "events")), "the aborted job's runner started");
            await JobProcesses.AssertNoneLeftAsync(JobSteps.JobId(first), server.JobDirectory(first), Eventually.Bound);
        }
        finally
        {
            JobProcesses.Kill(JobSteps.JobId(first), server.JobDirectory(first));
        }
    }
}
