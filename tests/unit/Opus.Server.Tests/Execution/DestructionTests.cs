using System.Diagnostics;
using System.Globalization;
using System.Net;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>The sweeper (every second here) destroys jobs whose destruction time has passed, with their files and processes.</summary>
public sealed class DestructionTests
{
    [Fact]
    public async Task Jobs_disappear_with_their_directory_once_their_destruction_time_passes()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
        });
        var client = server.Client;
        var destruction = DateTime.UtcNow.AddSeconds(4);
        var text = destruction.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var finished = await client.CreateJobAsync("copy", ("text", "short-lived"), ("DESTRUCTION", text), ("PHASE", "RUN"));
        var running = await client.CreateJobAsync("sleep", ("seconds", "30"), ("DESTRUCTION", text), ("PHASE", "RUN"));
        var runningId = JobSteps.JobId(running);
        var runningDirectory = server.JobDirectory(running);
        try
        {
            Assert.Equal("COMPLETED", (await client.WaitForEndAsync(finished, TimeSpan.FromSeconds(10))).Phase());
            var job = await client.WaitForPhaseAsync(running, "EXECUTING", TimeSpan.FromSeconds(10));
            Assert.Equal(text, job.Root!.Element(UwsSchema.Uws + "destruction")!.Value);
            Assert.True(Directory.Exists(server.JobDirectory(finished)));
            Assert.NotEmpty(JobProcesses.Of(runningId, runningDirectory));

            foreach (var path in new[] { finished, running })
            {
                var clock = Stopwatch.StartNew();
                HttpStatusCode status;
                do
                {
                    await Task.Delay(200);
                    using var response = await client.GetAsync(path);
                    status = response.StatusCode;
                    if (status == HttpStatusCode.OK)
                        UwsSchema.Validate(await response.Content.ReadAsStringAsync());
                }
                while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(15));

                Assert.Equal(HttpStatusCode.NotFound, status);
                Assert.True(DateTime.UtcNow >= destruction, $"{path} was destroyed before its destruction time");
            }

            // The directory goes with the record (possibly after the kill grace for a running job).
            foreach (var path in new[] { finished, running })
            {
                var directory = server.JobDirectory(path);
                var clock = Stopwatch.StartNew();
                while (Directory.Exists(directory) && clock.Elapsed < TimeSpan.FromSeconds(5))
                    await Task.Delay(100);
                Assert.False(Directory.Exists(directory), $"{directory} is still there");
            }

            await JobProcesses.AssertNoneLeftAsync(runningId, runningDirectory, TimeSpan.FromSeconds(5));
            var listed = await client.ListIdsAsync("/rest/copy");
            Assert.DoesNotContain(JobSteps.JobId(finished), listed);
        }
        finally
        {
            JobProcesses.Kill(runningId, runningDirectory);
        }
    }
}
