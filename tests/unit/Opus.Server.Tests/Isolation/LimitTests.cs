using System.Net;
using System.Runtime.Versioning;
using System.Text;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Isolation;

/// <summary>
/// Each job's limits, through a real server and real sandboxed processes: a fork bomb, a memory hog, a disk filler
/// and a CPU burner (each bounded, with small limits from its definition) end in ERROR naming the limit they hit,
/// contained, while another job runs on and completes. Inputs are read-only inside the sandbox.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LimitTests : IAsyncLifetime
{
    private static readonly TimeSpan JobTime = TimeSpan.FromSeconds(120);

    // Forks sleepers until refused (at most 1000), reports how many it got, kills them and exits 0.
    private const string ForkBomb = """
        name: forkbomb
        version: "1.0"
        executionDuration: 600
        resources:
          processes: 64
        script: |
          python3 - <<'EOF'
          import os, signal, time
          children = []
          try:
              for _ in range(1000):
                  pid = os.fork()
                  if pid == 0:
                      time.sleep(60)
                      os._exit(0)
                  children.append(pid)
          except OSError:
              pass
          print(f"forked {len(children)}", flush=True)
          for pid in children:
              os.kill(pid, signal.SIGKILL)
              os.waitpid(pid, 0)
          EOF
        """;

    // Takes memory 16 MiB at a time, up to 1 GiB, printing how much it holds.
    private const string MemoryHog = """
        name: memoryhog
        version: "1.0"
        executionDuration: 600
        resources:
          memory: 128M
        script: |
          python3 - <<'EOF'
          chunks = []
          for i in range(64):
              chunks.append(b"x" * (16 << 20))
              print(f"holding {len(chunks) * 16} MiB", flush=True)
          EOF
        """;

    // "one": a single file of 20 MiB; "many": 30 files of 1 MiB each.
    private const string DiskFiller = """
        name: diskfiller
        version: "1.0"
        executionDuration: 600
        resources:
          outputSize: 10M
        parameters:
          - name: mode
            type: xs:string
            required: true
        script: |
          if [ "$mode" = many ]; then
            for i in $(seq 1 30); do head -c 1048576 /dev/zero > "fill$i"; done
          else
            head -c 20971520 /dev/zero > big
          fi
        """;

    // A bash loop of 50 million steps: far more than a second of CPU.
    private const string CpuBurner = """
        name: cpuburner
        version: "1.0"
        executionDuration: 600
        resources:
          cpuTime: 1
        script: |
          for ((i = 0; i < 50000000; i++)); do :; done
        """;

    // Runs until the test creates its gate, then completes.
    private const string Steady = """
        name: steady
        version: "1.0"
        executionDuration: 600
        generated:
          - name: out
            file: out.txt
            contentType: text/plain
        script: |
          until [ -e gate ]; do sleep 0.05; done
          echo done > out.txt
        """;

    // Tries to change its input; reports whether it could, and that it could still read it.
    private const string InputWriter = """
        name: inputwriter
        version: "1.0"
        executionDuration: 600
        used:
          - name: data
            required: true
        generated:
          - name: report
            file: report.txt
            contentType: text/plain
        script: |
          {
          if echo changed >> "$data" 2>/dev/null; then echo "append: ok"; else echo "append: failed"; fi
          if rm -f "$data" 2>/dev/null && [ ! -e "$data" ]; then echo "remove: ok"; else echo "remove: failed"; fi
          if touch "$(dirname "$data")/new" 2>/dev/null; then echo "create: ok"; else echo "create: failed"; fi
          echo "content: $(cat "$data")"
          } > report.txt
        """;

    private OpusServer _server = null!;

    private HttpClient Client => _server.Client;

    public async Task InitializeAsync()
    {
        _server = await OpusServer.StartAsync();
        using var admin = _server.AdminClient();
        foreach (var (name, yaml) in new[]
                 {
                     ("forkbomb", ForkBomb), ("memoryhog", MemoryHog), ("diskfiller", DiskFiller), ("cpuburner", CpuBurner),
                     ("steady", Steady), ("inputwriter", InputWriter),
                 })
            await admin.ProposeAsync(name, yaml, publish: true);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_job_over_a_limit_ends_in_error_naming_it_contained_while_another_job_completes()
    {
        var steady = await Client.CreateJobAsync("steady", ("PHASE", "RUN"));
        await Client.WaitForPhaseAsync(steady, "EXECUTING", JobTime);

        var forkBomb = await Client.CreateJobAsync("forkbomb", ("PHASE", "RUN"));
        var memoryHog = await Client.CreateJobAsync("memoryhog", ("PHASE", "RUN"));
        var bigFile = await Client.CreateJobAsync("diskfiller", ("mode", "one"), ("PHASE", "RUN"));
        var manyFiles = await Client.CreateJobAsync("diskfiller", ("mode", "many"), ("PHASE", "RUN"));
        var cpuBurner = await Client.CreateJobAsync("cpuburner", ("PHASE", "RUN"));

        await AssertErrorAsync(forkBomb, "process limit of 64 exceeded");
        var forked = int.Parse(StdoutOf(forkBomb).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(forked, 1, 63);

        await AssertErrorAsync(memoryHog, "memory limit of 128 MiB exceeded");
        // Killed before it held its limit (the runner and the shell count too), far from the 1 GiB it wanted.
        var held = StdoutOf(memoryHog).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(held.Length, 0, 7);

        await AssertErrorAsync(bigFile, "output size limit of 10 MiB exceeded");
        Assert.InRange(new FileInfo(Path.Combine(_server.JobDirectory(bigFile), "work", "big")).Length, 0, 10 << 20);
        await AssertErrorAsync(manyFiles, "output size limit of 10 MiB exceeded");

        await AssertErrorAsync(cpuBurner, "CPU time limit of 1 s exceeded");

        // The server and the other job are unaffected.
        Assert.Equal("ok\n", await Client.GetStringAsync("/health"));
        Assert.Equal("EXECUTING", (await Client.GetXmlAsync(steady)).Phase());
        await File.WriteAllTextAsync(Path.Combine(_server.JobDirectory(steady), "work", "gate"), "");
        var done = await Client.WaitForEndAsync(steady, JobTime);
        Assert.True(done.Phase() == "COMPLETED", $"steady ended {done.Phase()}: {done.ErrorMessage()}");
        Assert.Equal("done\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(steady, "out")));
    }

    [Fact]
    public async Task A_job_within_its_limits_completes_and_a_definition_asking_impossible_limits_is_refused_in_one_line()
    {
        using var admin = _server.AdminClient();
        // The disk filler's job with room for its file completes: the limit, not the script, made its error.
        await admin.ProposeAsync("roomy", DiskFiller.Replace("name: diskfiller", "name: roomy").Replace("outputSize: 10M", "outputSize: 64M"), publish: true);
        var roomy = await Client.CreateJobAsync("roomy", ("mode", "one"), ("PHASE", "RUN"));
        var done = await Client.WaitForEndAsync(roomy, JobTime);
        Assert.True(done.Phase() == "COMPLETED", $"roomy ended {done.Phase()}: {done.ErrorMessage()}");

        // The limits read back as written.
        var definition = await admin.GetDefinitionAsync("forkbomb");
        Assert.Equal(64, definition.Resources?.Processes);

        foreach (var (bad, expected) in new[]
                 {
                     ("processes: 0", "resources.processes: 0 is not between 1 and 1000000"),
                     ("memory: lots", "resources.memory: 'lots' is not a size; write it as SLURM does, e.g. 500M or 2G"),
                     ("outputSize: 2P", "resources.outputSize: '2P' is not between 1M and 1P"),
                     ("cpuTime: -5", "resources.cpuTime: -5 is not between 1 and 31536000 seconds"),
                 })
        {
            using var refused = await admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/badlimits",
                ForkBomb.Replace("name: forkbomb", "name: badlimits").Replace("processes: 64", bad));
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)refused.StatusCode} {body}");
            Assert.Contains(expected, body);
            Assert.DoesNotContain("\n   at ", body);
        }
    }

    [Fact]
    public async Task A_job_cannot_change_its_inputs()
    {
        using var response = await Client.PostMultipartAsync("/rest/inputwriter", [("PHASE", "RUN")], ("data", "input.txt", "original\n"u8.ToArray()));
        var job = await DefinitionTestHelpers.CreatedJobAsync(response);
        var done = await Client.WaitForEndAsync(job, JobTime);
        Assert.True(done.Phase() == "COMPLETED", $"inputwriter ended {done.Phase()}: {done.ErrorMessage()}");

        var report = Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "report"));
        Assert.Equal("append: failed\nremove: failed\ncreate: failed\ncontent: original\n", report);
        Assert.Equal("original\n", await File.ReadAllTextAsync(Path.Combine(_server.JobDirectory(job), "inputs", "data", "input.txt")));
    }

    private async Task AssertErrorAsync(string job, string limit)
    {
        var done = await Client.WaitForEndAsync(job, JobTime);
        Assert.True(done.Phase() == "ERROR" && done.ErrorMessage() == limit, $"{job} ended {done.Phase()}: {done.ErrorMessage()}; expected ERROR: {limit}");
    }

    private string StdoutOf(string job) => File.ReadAllText(Path.Combine(_server.JobDirectory(job), "stdout.log"));
}
