using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>
/// A job ends once: its final report may arrive many times at once (the runner's curl retries, the events file,
/// a script that reports itself), and exactly one finisher collects its results.
/// </summary>
public sealed class FinishTests
{
    private const int Parts = 6;

    // Six large results, then the final report sent eight times at once besides the runner's own.
    private static readonly string Definition = $$"""
        name: manyparts
        version: "1.0"
        description: Writes large results, then reports its own end many times at once.
        executionDuration: 300
        generated:
          - name: part
            file: "part*.bin"
            contentType: application/octet-stream
        script: |
          for i in $(seq {{Parts}}); do
            { printf 'part %s of %s\n' "$i" "$OPUS_JOB_ID"; head -c 25000000 /dev/zero; } > "part$i.bin"
          done
          line="$EPOCHREALTIME COMPLETED 0"
          echo "$line" >> "$OPUS_JOB_DIR/events"
          for i in 1 2 3 4 5 6 7 8; do
            curl -s -o /dev/null --header @"$OPUS_JOB_DIR/callback.header" \
              --data-urlencode "job=$OPUS_JOB_ID" --data-urlencode "event=$line" "$OPUS_CALLBACK_URL" &
          done
          wait
        """;

    [Fact]
    public async Task A_final_report_arriving_many_times_at_once_stores_every_result_once()
    {
        await using var server = await OpusServer.StartAsync();
        var admin = server.AdminClient();
        await admin.ProposeAsync("manyparts", Definition, publish: true);

        var job = await server.Client.CreateJobAsync("manyparts", ("PHASE", "RUN"));
        var done = await server.Client.WaitForEndAsync(job, TimeSpan.FromMinutes(3));
        Assert.Equal("COMPLETED", done.Phase());

        var results = done.Results().Where(r => r.Key.StartsWith("part_", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, Parts).Select(i => $"part_{i}"), results.Select(r => r.Key).Order());
        var seen = new HashSet<string>();
        foreach (var (id, result) in results)
        {
            var bytes = await server.Client.GetBytesAsync($"{job}/results/{id}");
            var sha = (string?)result.Attribute(JobSteps.Custom + "sha256");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), sha);
            Assert.Equal(25_000_000 + $"part 0 of {JobSteps.JobId(job)}\n".Length, bytes.Length);
            Assert.True(seen.Add(System.Text.Encoding.ASCII.GetString(bytes, 0, 8)), $"{id} has the content of another part");
        }

        // Nothing was left behind in the working folder, and the job's provenance names every part.
        Assert.Empty(Directory.GetFiles(Path.Combine(server.JobDirectory(job), "work"), "part*"));
        var provenance = await server.Client.GetTextAsync($"/provsap?ID={JobSteps.JobId(job)}&RESPONSEFORMAT=PROV-N");
        foreach (var (_, result) in results)
            Assert.Contains((string)result.Attribute(JobSteps.Custom + "sha256")!, provenance, StringComparison.Ordinal);
    }
}

/// <summary>Configuration is checked before the server creates anything: one line naming the key, exit code 2.</summary>
public sealed class StartupConfigurationTests
{
    [Theory]
    [InlineData("Opus:MaxConcurrentJobs", "abc", "opus: Opus:MaxConcurrentJobs: 'abc' is not a whole number")]
    [InlineData("Opus:MaxConcurrentJobs", "0", "opus: Opus:MaxConcurrentJobs: 0 is not allowed; give 1 or more")]
    [InlineData("Opus:SweepInterval", "soon", "opus: Opus:SweepInterval: 'soon' is not a time span")]
    [InlineData("Opus:Storage:Provider", "mysql", "opus: Opus:Storage:Provider: 'mysql' is not supported; use Sqlite or Postgres")]
    [InlineData("Opus:Storage:WalLimitBytes", "1000", "opus: Opus:Storage:WalLimitBytes: 1000 is not between 1 MiB (1048576) and 1 TiB")]
    [InlineData("Opus:Manager", "pbs", "opus: Opus:Manager: 'pbs' is not a job manager; use local or slurm")]
    [InlineData("Opus:CallbackUrl", "ftp://x", "opus: Opus:CallbackUrl: 'ftp://x' is not an absolute http or https URL")]
    [InlineData("Opus:Slurm:Staging", "nfs", "opus: Opus:Slurm:Staging: 'nfs' is not a staging; use shared or http")]
    [InlineData("Opus:Slurm:Scratch", "scratch", "opus: Opus:Slurm:Scratch: 'scratch' is not an absolute folder path")]
    [InlineData("Opus:Local:Limits:MaxMemory", "huge", "opus: Opus:Local:Limits:MaxMemory: 'huge' is not a size; write it as SLURM does, e.g. 500M or 2G")]
    [InlineData("Opus:Local:Limits:DefaultProcesses", "9999", "opus: Opus:Local:Limits:DefaultProcesses: 9999 is above Opus:Local:Limits:MaxProcesses (4096)")]
    public async Task A_bad_value_stops_the_start_with_one_line_naming_the_key_and_creates_nothing(string key, string value, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("opus-config-");
        try
        {
            var data = Path.Combine(folder.FullName, "data");
            var start = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder.FullName,
            };
            foreach (var argument in new[] { OpusServer.ServerAssembly, $"--urls=http://127.0.0.1:{OpusServer.FreePort()}", $"--Opus:DataPath={data}", $"--{key}={value}" })
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(limit.Token);

            Assert.Equal(2, process.ExitCode);
            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith(expected, lines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("System.", lines[0], StringComparison.Ordinal);
            Assert.Empty(await stdout);
            Assert.False(Directory.Exists(data), "the data folder was created before the configuration was checked");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

/// <summary>A server runs only the managers it is configured for: no SLURM loop, and SLURM jobs refused, without SLURM.</summary>
public sealed class ManagerConfigurationTests
{
    [Fact]
    public async Task A_definition_naming_slurm_on_a_server_without_it_is_refused_with_403_and_no_job_is_left()
    {
        await using var server = await OpusServer.StartAsync();
        await server.AdminClient().ProposeAsync("onslurm", """
            name: onslurm
            version: "1.0"
            description: Asks for SLURM.
            resources:
              manager: slurm
            script: |
              true
            """, publish: true);

        using var response = await server.Client.PostFormAsync("/rest/onslurm", ("PHASE", "RUN"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("job definition 'onslurm' runs on the 'slurm' manager, which this server does not run (see Opus:Slurm:Enabled)\n",
            await response.Content.ReadAsStringAsync());
        Assert.Empty(await server.Client.ListIdsAsync("/rest/onslurm"));

        // A pending job of it cannot be started either; it stays PENDING.
        var pending = await server.Client.CreateJobAsync("onslurm");
        using var run = await server.Client.PostFormAsync($"{pending}/phase", ("PHASE", "RUN"));
        Assert.Equal(HttpStatusCode.Forbidden, run.StatusCode);
        Assert.Equal("PENDING", (await server.Client.GetXmlAsync(pending)).Phase());
        var status = System.Text.Json.Nodes.JsonNode.Parse(await server.AdminClient().GetStringAsync("/status"))!;
        Assert.Equal(["local"], status["managers"]!.AsArray().Select(m => (string)m!));
    }
}
