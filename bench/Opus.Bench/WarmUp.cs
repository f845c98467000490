using System.Diagnostics;

namespace Opus.Bench;

/// <summary>
/// Warm-up until the server's JIT has settled: .NET compiles hot methods again in the background
/// (tiered compilation, PGO) for many seconds after start, which costs CPU and skews the first
/// measurements. The load runs in one-second slices until the tier-up thread is nearly idle.
/// </summary>
public static class WarmUp
{
    private const string TierUpThread = ".NET Tiered Com";

    /// <summary>Repeats <paramref name="slice"/> (about one second of load) until the JIT used under 2 % of a slice, at least 2 and at most 30 slices.</summary>
    public static async Task<string> UntilJitQuietAsync(ServerProcess server, Func<CancellationToken, Task> slice, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var slices = 0;
        double share;
        do
        {
            var jit = server.ThreadCpuTime(TierUpThread);
            var started = Stopwatch.GetTimestamp();
            await slice(cancellationToken);
            share = (server.ThreadCpuTime(TierUpThread) - jit) / Stopwatch.GetElapsedTime(started);
            slices++;
        }
        while ((slices < 2 || share >= 0.02) && slices < 30);

        var summary = $"{clock.Elapsed.TotalSeconds:0} s, {slices} slices; the JIT's tier-up thread used {share:P0} of the last one";
        Progress.Say($"warm-up: {summary}");
        return summary;
    }
}
