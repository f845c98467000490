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
        var finished = await client.CreateJobAsync("copy", ("text", "short-lived"), ("PHASE", "RUN"));
        var running = await client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var runningId = JobSteps.JobId(running);
        var runningDirectory = server.JobDirectory(running);
        try
        {
            // The destruction time is set once both are where the test wants them (one ended, one executing),
            // so a slow start cannot let it pass first.
            Assert.Equal("COMPLETED", (await client.WaitForEndAsync(finished, Eventually.Bound)).Phase());
            await client.WaitForPhaseAsync(running, "EXECUTING", Eventually.Bound);
            var destruction = DateTime.UtcNow.AddSeconds(4);
            var text = destruction.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            foreach (var path in new[] { finished, running })
            {
                using var set = await client.PostFormAsync($"{path}/destruction", ("DESTRUCTION", text));
                Assert.Equal(HttpStatusCode.SeeOther, set.StatusCode);
            }

            var job = await client.GetXmlAsync(running);
            Assert.Equal("EXECUTING", job.Phase());
            Assert.Equal(text, job.Root!.Element(UwsSchema.Uws + "destruction")!.Value);
            Assert.True(Directory.Exists(server.JobDirectory(finished)));
            Assert.NotEmpty(JobProcesses.Of(runningId, runningDirectory));

            foreach (var path in new[] { finished, running })
            {
                var status = await Eventually.HoldsAsync(
                    async () =>
                    {
                        using var response = await client.GetAsync(path);
                        if (response.StatusCode == HttpStatusCode.OK)
                            UwsSchema.Validate(await response.Content.ReadAsStringAsync());
                        return response.StatusCode;
                    },
                    s => s != HttpStatusCode.OK,
                    $"{path} destroyed");
                Assert.Equal(HttpStatusCode.NotFound, status);
                Assert.True(DateTime.UtcNow >= destruction, $"{path} was destroyed before its destruction time");
            }

            // The directory goes with the record (possibly after the kill grace for a running job).
            foreach (var path in new[] { finished, running })
            {
                var directory = server.JobDirectory(path);
                await Eventually.HoldsAsync(() => !Directory.Exists(directory), $"{directory} removed");
            }

            await JobProcesses.AssertNoneLeftAsync(runningId, runningDirectory, Eventually.Bound);
            var listed = await client.ListIdsAsync("/rest/copy");
            Assert.DoesNotContain(JobSteps.JobId(finished), listed);
        }
        finally
        {
            JobProcesses.Kill(runningId, runningDirectory);
        }
    }
}
