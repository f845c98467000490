using System.Collections.Concurrent;

namespace Opus.Bench;

/// <summary>Job creations per second: POST /rest/copy text=..., counted only when answered 303.</summary>
public static class CreationBench
{
    /// <summary>Runs the creation loads; returns the ids created (for the read benchmark).</summary>
    public static async Task<List<string>> RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var ids = new ConcurrentQueue<string>();

        async Task<bool> Create(int index, CancellationToken ct)
        {
            var id = await Uws.CreateAsync(server.Client, "copy", [new("text", $"bench {index}")], ct);
            if (id is null)
                return false;
            ids.Enqueue(id);
            return true;
        }

        Progress.Say("creations: warm-up until the JIT settles (slices of 16 clients for 0.7 s and 1 client for 0.3 s)");
        var warmUp = await WarmUp.UntilJitQuietAsync(server, async ct =>
        {
            await Load.RunAsync(16, 5_000, TimeSpan.FromSeconds(0.7), Create, ct);
            await Load.RunAsync(1, 1_000, TimeSpan.FromSeconds(0.3), Create, ct);
        }, cancellationToken);
        report.Note($"Creation warm-up: {warmUp}.");

        Progress.Say("creations: 1 client (at most 5,000 requests or 8 s)");
        var cpu = CpuMeter.Start(server);
        var one = await Load.RunAsync(1, 5_000, TimeSpan.FromSeconds(8), Create, cancellationToken);
        report.Add("Create job (POST /rest/copy, 303), 1 client", $"{one.PerSecond:N0} /s", $"{one.Describe()}; {cpu.Stop(one.Succeeded + one.Failed)}",
            "≥ 1,500 /s", one.PerSecond >= 1500, "~15-25 req/s");

        Progress.Say("creations: 16 clients (at most 30,000 requests or 10 s)");
        cpu = CpuMeter.Start(server);
        var many = await Load.RunAsync(16, 30_000, TimeSpan.FromSeconds(10), Create, cancellationToken);
        report.Add("Create job (POST /rest/copy, 303), 16 clients", $"{many.PerSecond:N0} /s", $"{many.Describe()}; {cpu.Stop(many.Succeeded + many.Failed)}",
            "≥ 1,500 /s", many.PerSecond >= 1500, "~15-25 req/s");

        return [.. ids];
    }
}
