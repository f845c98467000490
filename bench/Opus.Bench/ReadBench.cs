using System.Net;

namespace Opus.Bench;

/// <summary>GET of one job's XML per second from 16 clients: the same job, then different jobs.</summary>
public static class ReadBench
{
    public static async Task RunAsync(ServerProcess server, IReadOnlyList<string> ids, Report report, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
            throw new InvalidOperationException("no job was created; nothing to read");

        Func<int, CancellationToken, Task<bool>> Read(Func<int, string> idOf) => async (index, ct) =>
        {
            using var response = await server.Client.GetAsync($"/rest/copy/{idOf(index)}", ct);
            // The default completion option reads the whole body before returning.
            return response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentLength is > 0;
        };

        var same = ids[0];
        Progress.Say("reads: warm-up until the JIT settles (slices of 1 s, 16 clients)");
        var warmUp = await WarmUp.UntilJitQuietAsync(server,
            ct => Load.RunAsync(16, 20_000, TimeSpan.FromSeconds(1), Read(i => i % 2 == 0 ? same : ids[i % ids.Count]), ct), cancellationToken);
        report.Note($"Read warm-up: {warmUp}.");

        Progress.Say("reads: 16 clients, one job (at most 100,000 requests or 8 s)");
        var cpu = CpuMeter.Start(server);
        var one = await Load.RunAsync(16, 100_000, TimeSpan.FromSeconds(8), Read(_ => same), cancellationToken);
        report.Add("GET one job, 16 clients, same id", $"{one.PerSecond:N0} /s", $"{one.Describe()}; {cpu.Stop(one.Succeeded + one.Failed)}",
            "≥ 8,000 /s", one.PerSecond >= 8000, "21 /s sequential, 24 /s with 8 clients");

        Progress.Say($"reads: 16 clients, {ids.Count:N0} different jobs (at most 100,000 requests or 8 s)");
        cpu = CpuMeter.Start(server);
        var different = await Load.RunAsync(16, 100_000, TimeSpan.FromSeconds(8), Read(i => ids[i % ids.Count]), cancellationToken);
        report.Add("GET one job, 16 clients, different ids", $"{different.PerSecond:N0} /s", $"over {ids.Count:N0} jobs; {different.Describe()}; {cpu.Stop(different.Succeeded + different.Failed)}",
            "≥ 8,000 /s", different.PerSecond >= 8000, "21 /s sequential, 24 /s with 8 clients");
    }
}
