using System.Diagnostics;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Slurm;

namespace Opus.Server.Tests.Cluster;

/// <summary>
/// The three-host cluster of scripts/start-cluster.sh (ctl: slurmctld, slurmrestd, sshd; n1, n2: slurmd),
/// started once for the test run (scripts/test.sh starts it first; starting it again is a no-op). This
/// machine is 10.77.0.1 on its bridge, so a test server here listens there too and is the nodes' callback.
/// </summary>
public static class TestCluster
{
    public const string Login = "10.77.0.10";
    public const string ThisMachine = "10.77.0.1";
    public static readonly string[] Hosts = ["ctl", "n1", "n2"];

    /// <summary>Hidden on n1 and n2 by start-cluster.sh (an empty tmpfs over it): a server's data folder here is invisible to the nodes.</summary>
    public const string DataRoot = "/var/tmp/opus-cluster-data";

    private static readonly Lazy<Task> Started = new(StartAsync);

    public static string Base => Environment.GetEnvironmentVariable("OPUS_CLUSTER_DIR") is { Length: > 0 } dir ? dir : "/tmp/opus-cluster";

    public static Task EnsureStartedAsync() => Started.Value;

    private static async Task StartAsync()
    {
        var result = await SlurmCluster.RunAsync("bash", Path.Combine(OpusServer.RepositoryRoot, "scripts", "start-cluster.sh"));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"scripts/start-cluster.sh failed:\n{result.Output}");
    }

    /// <summary>Runs a command on a host of the cluster (its network, name and mounts).</summary>
    public static Task<(int ExitCode, string Output)> OnAsync(string host, params string[] command) =>
        SlurmCluster.RunAsync("nsenter", ["-t", File.ReadAllText(Path.Combine(Base, $"{host}.pid")).Trim(), "-n", "-u", "-m", "--", .. command]);

    public static async Task<string> HostKeyFingerprintAsync()
    {
        var result = await SlurmCluster.RunAsync("ssh-keygen", "-l", "-E", "sha256", "-f", Path.Combine(Base, "ssh", "host_ed25519_key.pub"));
        return result.Output.Split(' ')[1];
    }

    /// <summary>The settings of a server whose SLURM jobs go to this cluster through <paramref name="transport"/>.</summary>
    public static async Task<Dictionary<string, string>> SettingsAsync(string transport)
    {
        var settings = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{{port}};http://{ThisMachine}:{{port}}",
            ["Opus:PublicUrl"] = $"http://{ThisMachine}:{{port}}",
            ["Opus:Slurm:Transport"] = transport,
            // Short, so that an unreachable login node is noticed quickly; sbatch takes milliseconds.
            ["Opus:Slurm:CommandTimeout"] = "00:00:10",
        };
        if (transport == "ssh")
        {
            settings["Opus:Slurm:Ssh:Host"] = Login;
            settings["Opus:Slurm:Ssh:User"] = "root";
            settings["Opus:Slurm:Ssh:KeyFile"] = Path.Combine(Base, "ssh", "id_ed25519");
            settings["Opus:Slurm:Ssh:HostKeyFingerprint"] = await HostKeyFingerprintAsync();
        }
        else
        {
            settings["Opus:Slurm:Rest:Url"] = $"http://{Login}:6820";
            settings["Opus:Slurm:Rest:User"] = "root";
            settings["Opus:Slurm:Rest:TokenFile"] = Path.Combine(Base, "jwt-token");
        }

        return settings;
    }

    /// <summary>SLURM's view of the Opus job (state and node); null when it lists none of that name.</summary>
    public static async Task<(string SlurmId, string State, string Node)?> StateOfAsync(string jobId)
    {
        var result = await OnAsync("ctl", "squeue", "-h", "-t", "all", "-n", $"opus-{jobId}", "-o", "%i|%T|%N");
        var line = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return line?.Split('|') is [var id, var state, var node] ? (id, state, node) : null;
    }

    public static async Task<(string SlurmId, string State, string Node)?> WaitForStateAsync(string jobId, Func<string, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = await StateOfAsync(jobId);
            if ((state is { } s && condition(s.State)) || clock.Elapsed > timeout)
                return state;
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until both compute hosts take jobs (after a test that stopped one of them or slurmctld).</summary>
    public static Task WaitForNodesAsync() =>
        Eventually.HoldsAsync(
            async () => (await OnAsync("ctl", "sinfo", "-h", "-p", "debug", "-o", "%T")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            states => states.Length > 0 && states.All(s => s is "idle" or "mixed" or "allocated"), "both compute hosts are up");

    /// <summary>Stops a daemon of the cluster by the PID in its file, with every process it started (sshd's sessions).</summary>
    public static async Task StopAsync(string pidFile, bool kill = false)
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(Base, pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var family = new List<int> { pid };
        for (var i = 0; i < family.Count; i++)
        {
            var children = Path.Combine("/proc", family[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "task",
                family[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "children");
            if (File.Exists(children))
                family.AddRange(File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        }

        foreach (var member in family)
            await SlurmCluster.RunAsync("kill", kill ? "-KILL" : "-TERM", member.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Eventually.HoldsAsync(() => !Directory.Exists($"/proc/{pid}"), $"{pidFile} ({pid}) exits");
    }

    /// <summary>
    /// What the death of a compute host does to a job running there: its slurmstepd, then every process of the
    /// batch script (SLURM_JOB_ID and SLURM_JOB_NAME in its environment), SIGKILLed so that no trap runs and
    /// nothing reports. The hosts share this machine's process table.
    /// </summary>
    public static void KillJobOnItsHost(string jobId, string slurmId)
    {
        var stepd = $"slurmstepd: [{slurmId}.";
        var environment = new[] { $"SLURM_JOB_ID={slurmId}", $"SLURM_JOB_NAME=opus-{jobId}" };
        foreach (var pass in new Func<int, bool>[]
                 {
                     pid => Read($"/proc/{pid}/cmdline").StartsWith(stepd, StringComparison.Ordinal),
                     pid => Read($"/proc/{pid}/environ").Split('\0') is var entries && environment.All(entries.Contains),
                 })
        {
            foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture)))
            {
                if (!pass(pid))
                    continue;
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Gone already.
                }
            }
        }

        static string Read(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }
    }

    public static Task StartSshdAsync() =>
        OnAsync("ctl", "/usr/sbin/sshd", "-f", Path.Combine(Base, "ssh", "sshd_config"), "-E", Path.Combine(Base, "log", "sshd.log"));

    /// <summary>Starts slurmrestd as start-cluster.sh does (its PID in slurmrestd.pid).</summary>
    public static Task StartSlurmrestdAsync() =>
        OnAsync("ctl", "setsid", "-f", "sh", "-c", "echo $$ >\"$1\"; shift; SLURM_JWT=daemon exec \"$@\" </dev/null >>\"$0\" 2>&1",
            Path.Combine(Base, "log", "slurmrestd.log"), Path.Combine(Base, "slurmrestd.pid"),
            "/usr/sbin/slurmrestd", "-a", "rest_auth/jwt", "-s", "openapi/v0.0.38", "-u", "nobody", "-g", "nogroup", $"{Login}:6820");

    /// <summary>True when no host of the cluster, nor this machine, has the file.</summary>
    public static async Task<bool> NowhereAsync(string path)
    {
        if (File.Exists(path))
            return false;
        foreach (var host in Hosts)
        {
            if ((await OnAsync(host, "test", "-e", path)).ExitCode == 0)
                return false;
        }

        return true;
    }
}

/// <summary>
/// A server whose SLURM manager reaches the test cluster through one transport, shared by a test class. With
/// http staging (the default) its data folder is under <see cref="TestCluster.DataRoot"/>, which the compute
/// hosts cannot see, and each job runs in a node-local folder under <see cref="Scratch"/>.
/// </summary>
public abstract class ClusterServerFixture(string transport, string staging = "http") : IAsyncLifetime
{
    public string Transport { get; } = transport;

    public string Staging { get; } = staging;

    public OpusServer Server { get; private set; } = null!;

    /// <summary>Opus:Slurm:Scratch: the node folder under which each staged job gets opus-ID-SLURMID/ (a /tmp folder the nodes and this test see).</summary>
    public string Scratch { get; } = Directory.CreateTempSubdirectory("opus-cluster-scratch-").FullName;

    public async Task InitializeAsync()
    {
        await TestCluster.EnsureStartedAsync();
        var settings = await TestCluster.SettingsAsync(Transport);
        settings["Opus:DefinitionsPath"] = await WriteDefinitionsAsync();
        settings["Opus:Slurm:Staging"] = Staging;
        string? dataPath = null;
        if (Staging == "http")
        {
            settings["Opus:Slurm:Scratch"] = Scratch;
            foreach (var node in new[] { "n1", "n2" })
            {
                if ((await TestCluster.OnAsync(node, "mountpoint", "-q", TestCluster.DataRoot)).ExitCode != 0)
                    throw new InvalidOperationException($"{TestCluster.DataRoot} is not hidden on {node}: run scripts/start-cluster.sh");
            }

            dataPath = Directory.CreateDirectory(Path.Combine(TestCluster.DataRoot, $"opus-test-{Guid.NewGuid():N}")).FullName;
        }

        Server = await SlurmCluster.StartServerAsync(settings, dataPath);
    }

    /// <summary>The job's folder on its node (its runner's argument), once it has one; null before.</summary>
    public string? NodeFolder(string jobId) => Directory.EnumerateDirectories(Scratch, $"opus-{jobId}-*").FirstOrDefault();

    private static async Task<string> WriteDefinitionsAsync()
    {
        var folder = Directory.CreateTempSubdirectory("opus-cluster-definitions-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(OpusServer.RepositoryRoot, "definitions"), "*.yaml"))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        await File.WriteAllTextAsync(Path.Combine(folder, "several.yaml"), """
            name: several
            version: "1"
            description: Three results, one of them naming the host that ran the job.
            executionDuration: 120
            parameters:
              - name: text
                type: xs:string
                required: true
            generated:
              - name: echo
                file: echo.txt
              - name: host
                file: host.txt
              - name: bytes
                file: bytes.bin
            script: |
              printf '%s' "$text" > echo.txt
              hostname > host.txt
              head -c 100000 /dev/urandom > bytes.bin
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "staged-files.yaml"), """
            name: staged-files
            version: "1"
            description: Copies its input, hashes it, and says whether the server's data folder is visible on its node.
            executionDuration: 120
            parameters:
              - name: text
                type: xs:string
                required: true
              - name: server_data
                type: xs:string
                required: true
            used:
              - name: data
                contentType: application/octet-stream
                url: file://$ID
                required: true
            generated:
              - name: copy
                file: copy.bin
                contentType: application/octet-stream
              - name: sum
                file: sum.txt
              - name: note
                file: note.txt
              - name: host
                file: host.txt
              - name: server
                file: server-data.txt
            script: |
              cp "$data" copy.bin
              sha256sum < "$data" | cut -d' ' -f1 > sum.txt
              printf '%s' "$text" > note.txt
              hostname > host.txt
              if [ -e "$server_data" ]; then echo visible; else echo hidden; fi > server-data.txt
            """);
        // A chain whose steps the user places on a host, each step recording where it ran.
        await File.WriteAllTextAsync(Path.Combine(folder, "chain-first.yaml"), """
            name: chain-first
            version: "1"
            description: The first step of a chain.
            executionDuration: 60
            parameters:
              - name: text
                type: xs:string
                required: true
              - name: slurm_constraint
                type: xs:string
                required: true
                options: [n1, n2]
            generated:
              - name: output
                file: output.txt
              - name: host
                file: host.txt
            script: |
              echo "$text" > output.txt
              hostname > host.txt
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "chain-next.yaml"), """
            name: chain-next
            version: "1"
            description: A further step of a chain, appending to its input.
            executionDuration: 60
            parameters:
              - name: text
                type: xs:string
                required: true
              - name: slurm_constraint
                type: xs:string
                required: true
                options: [n1, n2]
            used:
              - name: input
                contentType: text/plain
                url: file://$ID
                required: true
            generated:
              - name: output
                file: output.txt
              - name: host
                file: host.txt
            script: |
              cat "$input" > output.txt
              echo "$text" >> output.txt
              hostname > host.txt
            """);
        // Runs until the host of its first run dies; SLURM requeues it (resources.requeue) and the next run completes at once.
        await File.WriteAllTextAsync(Path.Combine(folder, "rerun.yaml"), """
            name: rerun
            version: "1"
            description: Requeued by SLURM when its node fails; only its first run waits.
            executionDuration: 900
            resources:
              requeue: true
            generated:
              - name: host
                file: host.txt
              - name: restarts
                file: restarts.txt
            script: |
              hostname > host.txt
              echo "${SLURM_RESTART_COUNT:-0}" > restarts.txt
              [ "${SLURM_RESTART_COUNT:-0}" != 0 ] || sleep 3600
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "one-minute.yaml"), """
            name: one-minute
            version: "1"
            description: Sleeps longer than its one-minute limit.
            executionDuration: 60
            script: |
              sleep 600
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "pick-host.yaml"), """
            name: pick-host
            version: "1"
            description: The user picks the compute host by its feature (n1 or n2), a SLURM option set as a parameter.
            executionDuration: 60
            parameters:
              - name: slurm_constraint
                type: xs:string
                required: true
                options: [n1, n2]
            generated:
              - name: host
                file: host.txt
            script: |
              hostname > host.txt
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "inject.yaml"), $"""
            name: inject
            version: "1"
            description: A partition with shell syntax in it.
            executionDuration: 60
            resources:
              partition: "debug$(touch {PartitionMarker})`touch {PartitionMarker}`"
              account: "$(touch {PartitionMarker})"
              qos: "';touch {PartitionMarker};'"
              constraint: "n1|$(touch {PartitionMarker})"
              gres: "`touch {PartitionMarker}`"
            script: |
              true
            """);
        return folder;
    }

    /// <summary>The file the SLURM options of the "inject" definition would create if a shell ever read them.</summary>
    public const string PartitionMarker = "/tmp/opus-cluster-pwned-by-partition";

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }
}

public sealed class SshClusterFixture() : ClusterServerFixture("ssh");

/// <summary>The job folder shared with the nodes (Opus:Slurm:Staging=shared): the server's data folder in /tmp, which the nodes see.</summary>
public sealed class SharedStagingClusterFixture() : ClusterServerFixture("ssh", "shared");

public sealed class RestClusterFixture() : ClusterServerFixture("rest");
