using System.Net;
using System.Security.Cryptography;
using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>Jobs run by the local manager of the shared server (KillGraceSeconds = 1): results, abort, limits, failures, injection.</summary>
[Collection(ServerCollection.Name)]
public sealed class LocalExecutionTests(ServerFixture fixture)
{
    private static readonly TimeSpan ShortJob = Eventually.Bound;

    // Grace 1 s, then SIGKILL: an idle machine is done at once; the bound is for a loaded one.
    private static readonly TimeSpan ProcessesGone = Eventually.Bound;

    private OpusServer Server => fixture.Server;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task Copy_result_is_stored_under_its_sha256_and_announced_with_it()
    {
        const string text = "content-addressed 🛰\nline two\n";
        var expected = Encoding.UTF8.GetBytes(text + Guid.NewGuid());
        var job = await Client.CreateJobAsync("copy", ("text", Encoding.UTF8.GetString(expected)), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, ShortJob);
        Assert.Equal("COMPLETED", done.Phase());
        var result = done.Result("output");
        Assert.NotNull(result);
        var sha = (string?)result.Attribute(JobSteps.Custom + "sha256");
        Assert.NotNull(sha);

        var bytes = await Client.GetResultBytesAsync(job, "output");
        Assert.Equal(expected, bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)result.Attribute("size"));

        var stored = Path.Combine(Server.DataPath, "store", sha[..2], sha);
        Assert.True(File.Exists(stored), $"{stored} is not in the store");
        Assert.Equal(expected, await File.ReadAllBytesAsync(stored));

        // The results resource says the same as the job document.
        var results = await Client.GetXmlAsync($"{job}/results");
        // (A COMPLETED job also lists its provenance results, provenance.md section 5; they have no digest.)
        Assert.Equal(sha, (string?)results.Root!.Elements(UwsSchema.Uws + "result").Single(r => (string?)r.Attribute("id") == "output").Attribute(JobSteps.Custom + "sha256"));
    }

    [Fact]
    public async Task Aborting_an_executing_sleep_ends_ABORTED_and_leaves_no_process()
    {
        // Far longer than any wait below: the job cannot end before the abort.
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = Server.JobDirectory(job);
        try
        {
            await Client.WaitForPhaseAsync(job, "EXECUTING", ShortJob);
            // EXECUTING is reported before the script starts: wait for the script's own child.
            var running = await JobProcesses.WaitUntilAsync(id, directory, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            Assert.Contains(running, p => p.Command == "sleep");
            Assert.True(running.Count(p => p.Command == "bash") >= 2, $"expected the runner and the script: {string.Join(", ", running)}");

            await Client.AbortAsync(job);
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());

            await JobProcesses.AssertNoneLeftAsync(id, directory, ProcessesGone);
            foreach (var process in running)
                Assert.False(IsAlive(process.Pid), $"{process} survived the abort");

            // The runner's trap reports ERROR on SIGTERM; it must not replace the abort.
            var after = await Client.GetXmlAsync(job);
            Assert.Equal("ABORTED", after.Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task Execution_duration_limit_stops_the_job_with_an_ERROR_saying_so()
    {
        // The script would sleep an hour: an end well within that is the 1 s limit's doing, however loaded the machine.
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("EXECUTIONDURATION", "1"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = Server.JobDirectory(job);
        try
        {
            var done = await Client.WaitForEndAsync(job, Eventually.Bound);
            Assert.Equal("ERROR", done.Phase());
            // The limit counts from the runner's start; startTime is its first report, a little later.
            var ran = done.RanFor();
            Assert.True(ran >= TimeSpan.FromSeconds(0.5) && ran < Eventually.Bound, $"the 1 s limit stopped the job after {ran.TotalSeconds:0.0} s of execution");
            var message = done.ErrorMessage();
            Assert.NotNull(message);
            Assert.Contains("execution duration", message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("reached", message, StringComparison.OrdinalIgnoreCase);

            await JobProcesses.AssertNoneLeftAsync(id, directory, ProcessesGone);
            Assert.Equal("ERROR", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task Failing_script_ends_ERROR_with_its_stderr_in_the_summary()
    {
        var message = $"boom {Guid.NewGuid():N}";
        var job = await Client.CreateJobAsync("fail", ("message", message), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, ShortJob);
        Assert.Equal("ERROR", done.Phase());
        var summary = done.ErrorMessage();
        Assert.NotNull(summary);
        Assert.Contains(message, summary);
        Assert.Contains("status 3", summary);
        Assert.Contains(message, await Client.GetTextAsync($"{job}/error"));
    }

    [Fact]
    public async Task Parameter_values_reach_the_script_verbatim_and_never_execute()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"opus-pwned-{Guid.NewGuid():N}");
        string[] values =
        [
            $"$(touch {marker}-dollar)",
            $"`touch {marker}-backtick`",
            $"'; touch {marker}-quote #",
            $"\"; touch {marker}-dquote; echo \"",
            $"${{IFS}}touch${{IFS}}{marker}-ifs",
            $"first line\n$(touch {marker}-newline)\nlast line\n",
            "he said \"it's\" and 'left' \\\"\\' \\n %s %n",
            $"-n -e \\x41 * ?? [a-z] ~ $HOME ${{PATH}} $((1+1)) {marker}-*",
            "  leading and trailing blanks\t ",
            "text=other\u0001=x; export PATH=/nowhere",
            $"\r\ncarriage\r\n$(touch {marker}-cr)",
        ];

        var jobs = await Task.WhenAll(values.Select(v => Client.CreateJobAsync("copy", ("text", v), ("PHASE", "RUN"))));
        for (var i = 0; i < values.Length; i++)
        {
            var done = await Client.WaitForEndAsync(jobs[i], ShortJob);
            Assert.True(done.Phase() == "COMPLETED", $"value {i} ({values[i]}): {done.Phase()} {done.ErrorMessage()}");
            Assert.Equal(Encoding.UTF8.GetBytes(values[i]), await Client.GetResultBytesAsync(jobs[i], "output"));
            Assert.Equal(values[i], await Client.GetTextAsync($"{jobs[i]}/parameters/text"));
        }

        var executed = Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(marker) + "*");
        Assert.True(executed.Length == 0, $"a parameter value was executed: {string.Join(", ", executed)}");
    }

    [Fact]
    public async Task A_value_that_is_not_of_the_declared_type_is_refused()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"opus-pwned-{Guid.NewGuid():N}");
        using var response = await Client.PostFormAsync("/rest/sleep", ("seconds", $"1; touch {marker}"), ("PHASE", "RUN"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(File.Exists(marker));
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
