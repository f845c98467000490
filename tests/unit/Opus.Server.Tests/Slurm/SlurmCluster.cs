using System.Diagnostics;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Slurm;

/// <summary>
/// The real single-node cluster of scripts/start-slurm.sh (scripts/test.sh starts it), asked through its
/// client commands, and test servers whose manager is SLURM.
/// </summary>
public static class SlurmCluster
{
    /// <summary>Fails with what to do when no cluster answers: these tests never pass silently without one.</summary>
    public static async Task RequireAsync()
    {
        string? problem;
        try
        {
            var ping = await RunAsync("scontrol", "ping");
            problem = ping.ExitCode == 0 && ping.Output.Contains("UP", StringComparison.Ordinal) ? null : ping.Output.Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            problem = $"the SLURM client commands are not installed ({e.Message})";
        }

        if (problem is not null)
            throw new InvalidOperationException($"SLURM is not running here: {problem}. Start it with scripts/start-slurm.sh (scripts/test.sh does).");
    }

    /// <summary>
    /// A server that runs every job with SLURM. Its definitions: the samples, plus "parked" (a sleep in the
    /// partition that is down, so its jobs stay PENDING) and "local-copy" (copy that asks for the local manager).
    /// A second server may be started on the same <paramref name="dataPath"/> (its definition files are written again).
    /// </summary>
    public static async Task<OpusServer> StartServerAsync(IDictionary<string, string>? extra = null, string? dataPath = null)
    {
        await RequireAsync();
        dataPath ??= Directory.CreateTempSubdirectory("opus-test-").FullName;
        var definitions = Directory.CreateDirectory(Path.Combine(dataPath, "definition-files")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(OpusServer.RepositoryRoot, "definitions"), "*.yaml"))
            File.Copy(file, Path.Combine(definitions, Path.GetFileName(file)), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(definitions, "parked.yaml"), """
            name: parked
            version: "1"
            description: Sleeps, in a partition that never starts jobs.
            executionDuration: 600
            resources:
              partition: parked
            script: |
              sleep 1
            """);
        await File.WriteAllTextAsync(Path.Combine(definitions, "local-copy.yaml"), """
            name: local-copy
            version: "1"
            description: Copy, run by the local manager whatever the server's manager.
            executionDuration: 60
            resources:
              manager: local
            parameters:
              - name: text
                type: xs:string
                required: true
            generated:
              - name: output
                file: output.txt
            script: |
              printf '%s' "$text" > output.txt
            """);
        var settings = new Dictionary<string, string>
        {
            ["Opus:Manager"] = "slurm",
            ["Opus:DefinitionsPath"] = definitions,
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
            ["Opus:Slurm:ReconcileInterval"] = "00:00:02",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        return await OpusServer.StartAsync(settings, dataPath);
    }

    /// <summary>SLURM's state of the Opus job (squeue lists finished jobs for MinJobAge); null when it knows none.</summary>
    public static async Task<(string SlurmId, string State, string Reason)?> StateOfAsync(string jobId)
    {
        var result = await RunAsync("squeue", "-h", "-t", "all", "-n", $"opus-{jobId}", "-o", "%i|%T|%r");
        var line = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return line?.Split('|') is [var id, var state, var reason] ? (id, state, reason) : null;
    }

    /// <summary>Polls SLURM's state until <paramref name="condition"/> holds or the time is up; returns the last look.</summary>
    public static async Task<(string SlurmId, string State, string Reason)?> WaitForStateAsync(
        string jobId, Func<string, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = await StateOfAsync(jobId);
            if ((state is { } s && condition(s.State)) || clock.Elapsed > timeout)
                return state;
            await Task.Delay(100);
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output + await error);
    }
}

/// <summary>One SLURM server shared by the tests of a collection.</summary>
public sealed class SlurmServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SlurmCluster.StartServerAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
