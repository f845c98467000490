using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>A server killed with SIGKILL while jobs run and wait, then started again on the same port and data.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task After_a_crash_every_job_ends_and_a_job_that_completed_meanwhile_keeps_its_result()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxConcurrentJobs"] = "1",
            ["Opus:KillGraceSeconds"] = "1",
        });
        await Gate.PublishAsync(server);
        var client = server.Client;
        var jobs = new List<string>();
        // Each executing job waits for its gate: it cannot end before the test opens it, however loaded the machine.
        using var firstGate = new Gate();
        using var survivorGate = new Gate();
        using var lostGate = new Gate();
        try
        {
            // First crash: one job executing (it completes while the server is down), two waiting in QUEUED.
            var first = await firstGate.RunJobAsync(client);
            jobs.Add(first);
            await client.WaitForPhaseAsync(first, "EXECUTING", Eventually.Bound);
            var queued = new[]
            {
                await client.CreateJobAsync("sleep", ("seconds", "1"), ("PHASE", "RUN")),
                await client.CreateJobAsync("sleep", ("seconds", "0"), ("PHASE", "RUN")),
            };
            jobs.AddRange(queued);
            foreach (var job in queued)
                Assert.Equal("QUEUED", (await client.GetXmlAsync(job)).Phase());

            await server.KillAsync();
            firstGate.Open();

            // The runner finishes on its own; its callback fails, so only the events file knows.
            var firstDirectory = server.JobDirectory(first);
            await JobProcesses.AssertNoneLeftAsync(JobSteps.JobId(first), firstDirectory, Eventually.Bound);
            var events = await File.ReadAllTextAsync(Path.Combine(firstDirectory, "events"));
            Assert.Contains(" COMPLETED 0", events);
            Assert.Contains("callback failed for COMPLETED", await File.ReadAllTextAsync(Path.Combine(firstDirectory, "runner.log")));

            await server.RestartAsync();

            var done = await client.WaitForEndAsync(first, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{first}: {done.Phase()} {done.ErrorMessage()}");
            Assert.Equal("gate opened\n", System.Text.Encoding.UTF8.GetString(await client.GetResultBytesAsync(first, "report")));
            foreach (var job in queued)
            {
                var end = await client.WaitForEndAsync(job, Eventually.Bound);
                Assert.True(end.Phase() == "COMPLETED", $"{job}: {end.Phase()} {end.ErrorMessage()}");
                Assert.NotNull(end.Result("report"));
            }

            // Second crash: the runner outlives the server and is adopted by the next one; one job waits behind it.
            var survivor = await survivorGate.RunJobAsync(client);
            jobs.Add(survivor);
            await client.WaitForPhaseAsync(survivor, "EXECUTING", Eventually.Bound);
            var behind = await client.CreateJobAsync("sleep", ("seconds", "0"), ("PHASE", "RUN"));
            jobs.Add(behind);
            Assert.Equal("QUEUED", (await client.GetXmlAsync(behind)).Phase());

            await server.KillAsync();
            Assert.NotEmpty(JobProcesses.Of(JobSteps.JobId(survivor), server.JobDirectory(survivor)));
            await server.RestartAsync();
            Assert.NotEmpty(JobProcesses.Of(JobSteps.JobId(survivor), server.JobDirectory(survivor)));

            // The adopted runner is still EXECUTING (its gate is shut) and counts against MaxConcurrentJobs = 1.
            Assert.Equal("EXECUTING", (await client.GetXmlAsync(survivor)).Phase());
            Assert.Equal("QUEUED", (await client.GetXmlAsync(behind)).Phase());

            survivorGate.Open();
            foreach (var job in new[] { survivor, behind })
            {
                var end = await client.WaitForEndAsync(job, Eventually.Bound);
                Assert.True(end.Phase() == "COMPLETED", $"{job}: {end.Phase()} {end.ErrorMessage()}");
                Assert.NotNull(end.Result("report"));
            }

            Assert.Equal("gate opened\n", System.Text.Encoding.UTF8.GetString(await client.GetResultBytesAsync(survivor, "report")));

            // Third crash: the runner dies too (SIGKILL, so no trap reports): the job cannot finish and ends ERROR.
            var lost = await lostGate.RunJobAsync(client);
            jobs.Add(lost);
            await client.WaitForPhaseAsync(lost, "EXECUTING", Eventually.Bound);
            await server.KillAsync();
            JobProcesses.Kill(JobSteps.JobId(lost), server.JobDirectory(lost));
            await JobProcesses.AssertNoneLeftAsync(JobSteps.JobId(lost), server.JobDirectory(lost), Eventually.Bound);
            await server.RestartAsync();
            var failed = await client.WaitForEndAsync(lost, Eventually.Bound);
            Assert.Equal("ERROR", failed.Phase());
            Assert.Contains("server was down", failed.ErrorMessage());

            // Nothing is left waiting or running; every job but the lost one completed.
            var all = jobs.Select(JobSteps.JobId).ToList();
            Assert.Empty((await client.ListIdsAsync("/rest/sleep?PHASE=QUEUED&PHASE=EXECUTING"))
                .Concat(await client.ListIdsAsync($"/rest/{Gate.Definition}?PHASE=QUEUED&PHASE=EXECUTING")));
            var completed = (await client.ListIdsAsync("/rest/sleep?PHASE=COMPLETED"))
                .Concat(await client.ListIdsAsync($"/rest/{Gate.Definition}?PHASE=COMPLETED"));
            Assert.Equal(all.Where(j => j != JobSteps.JobId(lost)).Order(), completed.Order());
        }
        finally
        {
            foreach (var job in jobs)
                JobProcesses.Kill(JobSteps.JobId(job), server.JobDirectory(job));
        }
    }
}
