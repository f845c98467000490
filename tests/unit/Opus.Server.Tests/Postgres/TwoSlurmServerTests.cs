using System.Net;
using System.Text;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Slurm;
using Xunit.Abstractions;

namespace Opus.Server.Tests.Postgres;

/// <summary>
/// Two server processes on one PostgreSQL database and one data folder, both running their jobs with the
/// single-node SLURM cluster (scripts/start-slurm.sh): each job reaches SLURM once, whichever process runs it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TwoSlurmServerTests(ITestOutputHelper output)
{
    // Every sbatch of both servers goes through this wrapper, which appends the job name it submits to
    // sbatch.log beside itself (one short write each, so the lines of calls at once never mix).
    private const string CountingSbatch = """
        #!/bin/sh
        for argument; do
          case $argument in --job-name=*) printf '%s\n' "${argument#--job-name=}" >>"$0.log" ;; esac
        done
        exec /usr/bin/sbatch "$@"
        """;

    [Fact]
    public async Task Jobs_run_through_both_at_once_are_each_submitted_to_SLURM_once_and_complete()
    {
        const int count = 40;
        await SlurmCluster.RequireAsync();
        var connection = await TestPostgres.CreateDatabaseAsync("opus_two_slurm");
        var bin = Directory.CreateTempSubdirectory("opus-counting-sbatch-");
        try
        {
            foreach (var command in new[] { "scancel", "scontrol", "squeue" })
                File.CreateSymbolicLink(Path.Combine(bin.FullName, command), $"/usr/bin/{command}");
            var sbatch = Path.Combine(bin.FullName, "sbatch");
            await File.WriteAllTextAsync(sbatch, CountingSbatch + "\n");
            File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var settings = new Dictionary<string, string>
            {
                ["Opus:Storage:Provider"] = "Postgres",
                ["Opus:Storage:ConnectionString"] = connection,
                ["Opus:Slurm:BinPath"] = bin.FullName,
                ["Opus:MaxActiveJobsPerUser"] = "0",
            };
            var data = Directory.CreateTempSubdirectory("opus-two-slurm-").FullName;
            // One after the other: the first migrates the database and creates the admin.
            await using var first = await SlurmCluster.StartServerAsync(settings, data);
            await using var second = await SlurmCluster.StartServerAsync(settings, data);
            var servers = new[] { first, second };

            // Created on either server; RUN sent to both at once, so that both race to queue and submit each job
            // while both reconcile loops look at the jobs in flight. The request sent first mostly wins: the order
            // alternates, so that both servers submit.
            var texts = Enumerable.Range(0, count).Select(i => $"job {i} {Guid.NewGuid()}").ToArray();
            var jobs = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var job = await servers[i % 2].Client.CreateJobAsync("copy", ("text", texts[i]));
                var runs = await Task.WhenAll(new[] { servers[i % 2], servers[(i + 1) % 2] }.Select(s => s.Client.PostFormAsync($"{job}/phase", ("PHASE", "RUN"))));
                foreach (var run in runs)
                {
                    // A job may have ended before the second RUN arrives: that RUN is refused, rightly.
                    var body = await run.Content.ReadAsStringAsync();
                    Assert.True(run.StatusCode == HttpStatusCode.SeeOther || (run.StatusCode == HttpStatusCode.Forbidden && body.Contains("cannot be run again", StringComparison.Ordinal)),
                        $"RUN of {job}: {(int)run.StatusCode} {body}");
                    run.Dispose();
                }

                return job;
            }));

            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                var done = await servers[(i + 1) % 2].Client.WaitForEndAsync(jobs[i], Eventually.Bound);
                Assert.True(done.Phase() == "COMPLETED", $"{jobs[i]}: {done.Phase()} {done.ErrorMessage()}\n{first.Log}\n{second.Log}");
                Assert.Equal(Encoding.UTF8.GetBytes(texts[i]), await servers[i % 2].Client.GetResultBytesAsync(jobs[i], "output"));
            }));

            // Counted three ways: the sbatch calls, the jobs SLURM knows (finished ones stay listed for MinJobAge),
            // and the submissions each server logged.
            var calls = await File.ReadAllLinesAsync(sbatch + ".log");
            var known = (await SlurmCluster.RunAsync("squeue", "-h", "-t", "all", "-o", "%j")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var byFirst = 0;
            foreach (var job in jobs)
            {
                var id = JobSteps.JobId(job);
                Assert.True(calls.Count(c => c == $"opus-{id}") == 1, $"{job}: sbatch ran {calls.Count(c => c == $"opus-{id}")} times");
                Assert.True(known.Count(k => k == $"opus-{id}") == 1, $"{job}: SLURM has {known.Count(k => k == $"opus-{id}")} jobs of its name");
                var submittedBy = servers.Where(s => s.Log.Contains($"Job {id}: SLURM job ", StringComparison.Ordinal)).ToList();
                Assert.True(submittedBy.Count == 1, $"{job}: submitted by {submittedBy.Count} servers");
                byFirst += submittedBy[0] == first ? 1 : 0;
            }

            Assert.Equal(count, calls.Length);
            output.WriteLine($"{count} jobs, each submitted once: {byFirst} by the first server, {count - byFirst} by the second");
            // Both took part.
            Assert.InRange(byFirst, 1, count - 1);
        }
        finally
        {
            bin.Delete(recursive: true);
            await TestPostgres.DropDatabaseAsync(connection);
        }
    }
}
