using System.Net;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Slurm;

/// <summary>
/// Jobs waiting for a SLURM submitter (PHASE=RUN answers before sbatch runs): one submitter, whose sbatch is held
/// at a gate (a real sbatch behind a wrapper that waits while a file exists), so jobs are aborted or deleted while
/// they wait their turn.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SlurmSubmitterTests
{
    [Fact]
    public async Task A_job_aborted_or_deleted_while_waiting_for_its_submission_never_reaches_SLURM()
    {
        var bin = Directory.CreateTempSubdirectory("opus-gated-sbatch-");
        var gate = Path.Combine(bin.FullName, "closed");
        try
        {
            foreach (var command in new[] { "scancel", "scontrol", "squeue" })
                File.CreateSymbolicLink(Path.Combine(bin.FullName, command), $"/usr/bin/{command}");
            var sbatch = Path.Combine(bin.FullName, "sbatch");
            await File.WriteAllTextAsync(sbatch, $"#!/bin/sh\nwhile [ -e '{gate}' ]; do sleep 0.1; done\nexec /usr/bin/sbatch \"$@\"\n");
            File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await File.WriteAllTextAsync(gate, "");

            await using var server = await SlurmCluster.StartServerAsync(new Dictionary<string, string>
            {
                ["Opus:Slurm:BinPath"] = bin.FullName,
                ["Opus:Slurm:SubmitConcurrency"] = "1",
            });
            var client = server.Client;

            // The one submitter takes the first job and waits at the gate; the others wait their turn behind it.
            var first = await client.CreateJobAsync("copy", ("text", "first"), ("PHASE", "RUN"));
            var aborted = await client.CreateJobAsync("copy", ("text", "aborted"), ("PHASE", "RUN"));
            var deleted = await client.CreateJobAsync("copy", ("text", "deleted"), ("PHASE", "RUN"));
            Assert.Equal("QUEUED", (await client.GetXmlAsync(aborted)).Phase());

            await client.AbortAsync(aborted);
            Assert.Equal("ABORTED", (await client.GetXmlAsync(aborted)).Phase());
            using (var delete = await client.DeleteAsync(deleted))
                Assert.True(delete.IsSuccessStatusCode || delete.StatusCode == HttpStatusCode.SeeOther, $"{delete.StatusCode}");
            using (var gone = await client.GetAsync(deleted))
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

            // Queued after both: once it has run, the submitter has taken (and dropped) the two before it.
            var last = await client.CreateJobAsync("copy", ("text", "last"), ("PHASE", "RUN"));
            File.Delete(gate);
            foreach (var job in new[] { first, last })
            {
                var done = await client.WaitForEndAsync(job, Eventually.Bound);
                Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{server.Log}");
            }

            Assert.Null(await SlurmCluster.StateOfAsync(JobSteps.JobId(aborted)));
            Assert.Null(await SlurmCluster.StateOfAsync(JobSteps.JobId(deleted)));
            Assert.Equal("ABORTED", (await client.GetXmlAsync(aborted)).Phase());
        }
        finally
        {
            File.Delete(gate);
            bin.Delete(recursive: true);
        }
    }
}
