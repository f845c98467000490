using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Isolation;

/// <summary>
/// Jobs against each other and the server, through a real server and real sandboxed processes: a hostile
/// definition (published by the admin here) tries to reach a running victim job, the database, the store and the
/// server's configuration, to write outside its folder, to kill, and to leave a process behind; all must fail.
/// Victims are held running by a gate file the test creates in the victim's own folder.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SandboxTests : IAsyncLifetime
{
    private static readonly TimeSpan JobTime = TimeSpan.FromSeconds(60);

    // Waits on the gate file the test creates in its work folder, keeping a process with a known name meanwhile.
    private const string Victim = """
        name: victim
        version: "1.0"
        description: Holds a secret and waits for its gate.
        executionDuration: 600
        parameters:
          - name: marker
            type: xs:string
            required: true
        generated:
          - name: secret
            file: secret.txt
            contentType: text/plain
        script: |
          echo "victim's secret" > secret.txt
          bash -c 'exec -a "$0" sleep 100000' "victim-$marker" &
          until [ -e gate ]; do sleep 0.05; done
          kill $!
        """;

    // Each attempt prints "name: ok" when it succeeded (a breach) or "name: failed"; the test reads the report.
    private const string Hostile = """
        name: hostile
        version: "1.0"
        description: Tries to reach what a job must not.
        executionDuration: 600
        parameters:
          - name: victimid
            type: xs:string
            required: true
          - name: victimdir
            type: xs:string
            required: true
          - name: data
            type: xs:string
            required: true
          - name: server
            type: xs:string
            required: true
          - name: serverpid
            type: xs:string
            required: true
          - name: marker
            type: xs:string
            required: true
          - name: hold
            type: xs:string
            default: "no"
        generated:
          - name: report
            file: report.txt
            contentType: text/plain
        script: |
          try() { local name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name: ok"; else echo "$name: failed"; fi; }
          {
          try list-victim ls "$victimdir"
          try read-victim-token cat "$victimdir/callback.header"
          try read-victim-work cat "$victimdir/work/secret.txt"
          try find-victim-in-jobs test -e "$data/jobs/$victimid"
          try read-database cat "$data/opus.db"
          try list-store ls "$data/store"
          try read-configuration cat "$server/appsettings.json"
          try write-etc touch "/etc/hostile-$marker"
          try write-var-tmp touch "/var/tmp/hostile-$marker"
          try write-data touch "$data/hostile-$marker"
          try write-victim touch "$victimdir/work/hostile-$marker"
          try kill-server kill -9 "$serverpid"
          try kill-victim pkill -9 -f "victim-$marker"
          try see-victim pgrep -f "victim-$marker"
          # With its own token, a phase for the other job: the server must refuse it.
          code=$(curl --silent --output /dev/null --write-out '%{http_code}' --header @../callback.header \
            --data-urlencode "job=$victimid" --data-urlencode "event=$EPOCHREALTIME COMPLETED 0" "$OPUS_CALLBACK_URL")
          case "$code" in 2*) echo "forge-phase: ok";; *) echo "forge-phase: failed";; esac
          } > report.txt
          # A process that tries to outlive the job.
          setsid bash -c 'exec -a "$0" sleep 100000' "hostile-$marker" </dev/null >/dev/null 2>&1 &
          if [ "$hold" = yes ]; then until [ -e gate ]; do sleep 0.05; done; fi
        """;

    // Tries the server it was given: with network: none there is no route to it, yet the job completes.
    private const string Offline = """
        name: offline
        version: "1.0"
        description: Tries to reach the server without network.
        executionDuration: 600
        resources:
          network: none
        parameters:
          - name: url
            type: xs:string
            required: true
        generated:
          - name: report
            file: report.txt
            contentType: text/plain
        script: |
          if curl --silent --max-time 5 --output /dev/null "$url"; then echo reached; else echo unreachable; fi > report.txt
        """;

    private OpusServer _server = null!;

    private HttpClient Client => _server.Client;

    public async Task InitializeAsync()
    {
        _server = await OpusServer.StartAsync();
        using var admin = _server.AdminClient();
        await admin.ProposeAsync("victim", Victim, publish: true);
        await admin.ProposeAsync("hostile", Hostile, publish: true);
        await admin.ProposeAsync("offline", Offline, publish: true);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_data_folder_its_database_store_and_job_folders_are_private()
    {
        var job = await Client.CreateJobAsync("copy", ("text", "private"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await Client.WaitForEndAsync(job, JobTime)).Phase());

        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(folder, File.GetUnixFileMode(_server.DataPath));
        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(_server.DataPath, "jobs")));
        Assert.Equal(folder, File.GetUnixFileMode(Path.Combine(_server.DataPath, "store")));
        Assert.Equal(folder, File.GetUnixFileMode(_server.JobDirectory(job)));
        if (_server.PostgresConnection is null)
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_server.DataPath, "opus.db")));
    }

    [Fact]
    public async Task A_hostile_job_reaches_neither_another_job_nor_the_server_and_leaves_no_process()
    {
        var marker = Guid.NewGuid().ToString("N");
        var victim = await Client.CreateJobAsync("victim", ("marker", marker), ("PHASE", "RUN"));
        var victimDirectory = _server.JobDirectory(victim);
        try
        {
            await WaitForProcessAsync($"victim-{marker}", present: true);
            var hostile = await Client.CreateJobAsync("hostile",
                ("victimid", JobSteps.JobId(victim)), ("victimdir", victimDirectory), ("data", _server.DataPath),
                ("server", Path.GetDirectoryName(OpusServer.ServerAssembly)!), ("serverpid", ServerPid().ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("marker", marker), ("PHASE", "RUN"));
            var done = await Client.WaitForEndAsync(hostile, JobTime);
            Assert.True(done.Phase() == "COMPLETED", $"hostile ended {done.Phase()}: {done.ErrorMessage()}");

            var report = Encoding.UTF8.GetString(await Client.GetResultBytesAsync(hostile, "report"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(": ")).ToDictionary(p => p[0], p => p[1]);
            string[] attempts = ["list-victim", "read-victim-token", "read-victim-work", "find-victim-in-jobs", "read-database", "list-store",
                "read-configuration", "write-etc", "write-var-tmp", "write-data", "write-victim", "kill-server", "kill-victim", "see-victim", "forge-phase"];
            Assert.Equal(attempts.Order(), report.Keys.Order());
            Assert.All(attempts, a => Assert.True(report[a] == "failed", $"the hostile job could {a}"));

            // Nothing written outside its folder, and what it left running died with it.
            Assert.False(File.Exists($"/etc/hostile-{marker}"));
            Assert.False(File.Exists($"/var/tmp/hostile-{marker}"));
            Assert.False(File.Exists(Path.Combine(_server.DataPath, $"hostile-{marker}")));
            await WaitForProcessAsync($"hostile-{marker}", present: false);

            // The server and the victim are untouched: it is still running, then completes with its own secret.
            Assert.Equal("ok\n", await Client.GetStringAsync("/health"));
            Assert.Equal("EXECUTING", (await Client.GetXmlAsync(victim)).Phase());
            Assert.NotEmpty(ProcessesNamed($"victim-{marker}"));
            await File.WriteAllTextAsync(Path.Combine(victimDirectory, "work", "gate"), "");
            Assert.Equal("COMPLETED", (await Client.WaitForEndAsync(victim, JobTime)).Phase());
            Assert.Equal("victim's secret\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(victim, "secret")));
        }
        finally
        {
            JobProcesses.Kill(JobSteps.JobId(victim), victimDirectory);
        }
    }

    [Fact]
    public async Task An_aborted_job_leaves_no_process_even_one_in_its_own_session()
    {
        var marker = Guid.NewGuid().ToString("N");
        var hostile = await Client.CreateJobAsync("hostile",
            ("victimid", "none"), ("victimdir", "/nonexistent"), ("data", _server.DataPath), ("server", "/nonexistent"),
            ("serverpid", "999999"), ("marker", marker), ("hold", "yes"), ("PHASE", "RUN"));
        await WaitForProcessAsync($"hostile-{marker}", present: true);
        await Client.AbortAsync(hostile);
        Assert.Equal("ABORTED", (await Client.GetXmlAsync(hostile)).Phase());
        await WaitForProcessAsync($"hostile-{marker}", present: false);
    }

    [Fact]
    public async Task A_definition_without_network_reaches_nothing_and_still_completes_and_a_wrong_choice_is_refused()
    {
        var job = await Client.CreateJobAsync("offline", ("url", new Uri(_server.BaseUri, "/health").ToString()), ("PHASE", "RUN"));
        var done = await Client.WaitForEndAsync(job, JobTime);
        Assert.True(done.Phase() == "COMPLETED", $"offline ended {done.Phase()}: {done.ErrorMessage()}");
        Assert.Equal("unreachable\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "report")));

        using var admin = _server.AdminClient();
        using var refused = await admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/wrongnet", Offline.Replace("name: offline", "name: wrongnet").Replace("network: none", "network: sometimes"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("resources.network: 'sometimes' is not a network choice; use allowed or none", await refused.Content.ReadAsStringAsync());
    }

    private int ServerPid()
    {
        // The server process listening on this test's port: the one whose command line names the server and its data folder.
        var found = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 1 && CommandLine(pid) is { } line && line.Contains(OpusServer.ServerAssembly) && line.Contains(_server.DataPath))
            .ToList();
        return Assert.Single(found);
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<int> ProcessesNamed(string name) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 1 && CommandLine(pid) is { } line && line.StartsWith(name + " ", StringComparison.Ordinal))
            .ToList();

    // A bounded look through /proc until the named process is there (or gone).
    private static async Task WaitForProcessAsync(string name, bool present)
    {
        var clock = Stopwatch.StartNew();
        while (ProcessesNamed(name).Count > 0 != present)
        {
            Assert.True(clock.Elapsed < JobTime, $"{name} is {(present ? "not there" : "still running")} after {JobTime.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
