using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// The sandbox's cost on a trivial job: two servers side by side, one with Opus:Local:Sandbox=none and one with
/// bubblewrap (both under the same per-job limits), each running the copy job RUN to COMPLETED in turn, so that the
/// machine's load falls on both alike. Reports each median and the median of the paired differences.
/// </summary>
public static class SandboxBench
{
    private const int Runs = 40;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var plainData = Directory.CreateTempSubdirectory("opus-bench-nosandbox-").FullName;
        var sandboxData = Directory.CreateTempSubdirectory("opus-bench-sandbox-").FullName;
        try
        {
            await using var plain = await ServerProcess.StartAsync(serverAssembly, plainData, cancellationToken, "--Opus:Local:Sandbox=none");
            await using var sandboxed = await ServerProcess.StartAsync(serverAssembly, sandboxData, cancellationToken, "--Opus:Local:Sandbox=bubblewrap");

            Progress.Say("sandbox: warm-up");
            for (var i = 0; i < 3; i++)
            {
                await RunBench.CreateAndRunAsync(plain.Client, i, cancellationToken);
                await RunBench.CreateAndRunAsync(sandboxed.Client, i, cancellationToken);
            }

            Progress.Say($"sandbox: copy RUN → COMPLETED, none and bubblewrap in turn ({Runs} pairs, at most {TimeBound.TotalSeconds:0} s)");
            var without = new List<double>();
            var with = new List<double>();
            var differences = new List<double>();
            var failed = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < Runs && clock.Elapsed < TimeBound; i++)
            {
                // Which goes first alternates, so neither always follows the other's load.
                var first = i % 2 == 0 ? plain : sandboxed;
                var a = await RunBench.CreateAndRunAsync(first.Client, i, cancellationToken);
                var b = await RunBench.CreateAndRunAsync((first == plain ? sandboxed : plain).Client, i, cancellationToken);
                var (p, s) = first == plain ? (a, b) : (b, a);
                if (p.Job.Phase != JobPhase.COMPLETED || s.Job.Phase != JobPhase.COMPLETED)
                {
                    failed++;
                    continue;
                }

                without.Add(p.Milliseconds);
                with.Add(s.Milliseconds);
                differences.Add(s.Milliseconds - p.Milliseconds);
            }

            var details = $"{differences.Count} pairs{(failed > 0 ? $", {failed} not COMPLETED" : "")}; none: median {Report.Ms(Stats.Median(without))}, " +
                $"bubblewrap: median {Report.Ms(Stats.Median(with))}; paired differences p95 {Report.Ms(Stats.P95(differences))}";
            var cost = Stats.Median(differences);
            report.Add("Sandbox cost on a trivial job (copy): bubblewrap - none, RUN → COMPLETED", $"median {Report.Ms(cost)}", details,
                "median < 20 ms", cost < 20, "-");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"sandbox bench failed: {e.Message}");
            throw;
        }
        finally
        {
            Program.DeleteFolder(plainData);
            Program.DeleteFolder(sandboxData);
        }
    }
}
