using System.Diagnostics;
using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// WAIT wake-up: a client blocked in WAIT=30&amp;PHASE=EXECUTING on a sleep job (seconds=1); the
/// delay from the job's endTime (in the job XML) to the moment the WAIT answer arrives.
/// </summary>
public static class WaitBench
{
    private const int Runs = 8;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var client = server.Client;
        var delays = new List<double>();
        var blocked = new List<double>();
        var skipped = 0;
        Progress.Say($"WAIT wake-up: sleep seconds=1 ({Runs} runs, at most {TimeBound.TotalSeconds:0} s)");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Runs && clock.Elapsed < TimeBound; i++)
        {
            var id = await Uws.CreateAsync(client, "sleep", [new("seconds", "1"), new("PHASE", "RUN")], cancellationToken)
                ?? throw new InvalidOperationException("creating a sleep job was not answered 303");
            var (running, _) = await Uws.WaitUntilFinalAsync(client, "sleep", id, JobPhase.QUEUED, TimeSpan.FromSeconds(30), cancellationToken,
                stopAt: phase => phase is not (JobPhase.PENDING or JobPhase.QUEUED));
            if (running.Phase != JobPhase.EXECUTING)
            {
                skipped++;
                continue;
            }

            // One blocking request: it must come back because the job ended, not because WAIT ran out.
            var waited = Stopwatch.StartNew();
            var done = await Uws.GetAsync(client, "sleep", id, "?WAIT=30&PHASE=EXECUTING", cancellationToken);
            var arrived = DateTime.UtcNow;
            if (done.Phase != JobPhase.COMPLETED || done.EndTime is not { } end)
            {
                skipped++;
                continue;
            }

            blocked.Add(waited.Elapsed.TotalMilliseconds);
            delays.Add((arrived - end).TotalMilliseconds);
        }

        report.Add("WAIT wake-up: endTime → WAIT answer arrives (sleep 1 s job)", $"median {Report.Ms(Stats.Median(delays))}",
            $"{delays.Count} runs{(skipped > 0 ? $", {skipped} skipped" : "")}; p95 {Report.Ms(Stats.P95(delays))}, max {Report.Ms(delays.DefaultIfEmpty(double.NaN).Max())}; " +
            $"the WAIT request was blocked for a median {Report.Ms(Stats.Median(blocked))}; endTime has ms resolution and is the runner's own clock reading before its callback",
            "-", null, "WAIT=15 on a 2 s job: 15.06 s (wsgiref), 1.7 s (waitress)");
    }
}
