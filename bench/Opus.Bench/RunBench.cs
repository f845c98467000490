using System.Diagnostics;
using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// RUN-to-COMPLETED of a trivial job (copy): the client blocks in WAIT=30&amp;PHASE=(last phase
/// seen), which wakes on each change, so the time measures the job and not a polling interval.
/// </summary>
public static class RunBench
{
    private const int Runs = 40;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var client = server.Client;

        Progress.Say("trivial job: warm-up");
        for (var i = 0; i < 3; i++)
            await CreateAndRunAsync(client, i, cancellationToken);

        Progress.Say($"trivial job: POST creation with PHASE=RUN until COMPLETED ({Runs} runs, at most {TimeBound.TotalSeconds:0} s)");
        var created = await MeasureAsync(i => CreateAndRunAsync(client, i, cancellationToken));
        report.Add("Trivial job (copy): POST create PHASE=RUN → COMPLETED", $"median {Report.Ms(created.Median)}", created.Details,
            "median < 100 ms", created.Median < 100, "median 0.80 s (0.50-0.91)");

        Progress.Say($"trivial job: POST /phase PHASE=RUN until COMPLETED ({Runs} runs, at most {TimeBound.TotalSeconds:0} s)");
        var phased = await MeasureAsync(i => PendingThenRunAsync(client, i, cancellationToken));
        report.Add("Trivial job (copy): POST .../phase PHASE=RUN → COMPLETED", $"median {Report.Ms(phased.Median)}", phased.Details,
            "median < 100 ms", phased.Median < 100, "median 0.59 s (0.49-1.57)");
    }

    internal sealed record Outcome(double Milliseconds, JobView Job, DateTime Arrived);

    private sealed record Summary(double Median, string Details);

    private static async Task<Summary> MeasureAsync(Func<int, Task<Outcome>> run)
    {
        var times = new List<double>();
        var queued = new List<double>();
        var executing = new List<double>();
        var reported = new List<double>();
        var failed = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Runs && clock.Elapsed < TimeBound; i++)
        {
            var outcome = await run(i);
            if (outcome.Job.Phase != JobPhase.COMPLETED || outcome.Job.StartTime is not { } start || outcome.Job.EndTime is not { } end)
            {
                failed++;
                continue;
            }

            times.Add(outcome.Milliseconds);
            queued.Add((start - outcome.Job.CreationTime).TotalMilliseconds);
            executing.Add((end - start).TotalMilliseconds);
            reported.Add((outcome.Arrived - end).TotalMilliseconds);
        }

        var details = $"{times.Count} runs{(failed > 0 ? $", {failed} not COMPLETED" : "")}; p95 {Report.Ms(Stats.P95(times))}, min {Report.Ms(times.DefaultIfEmpty(double.NaN).Min())}; " +
            $"server times (ms resolution), medians: creation→startTime {Report.Ms(Stats.Median(queued))}, " +
            $"startTime→endTime {Report.Ms(Stats.Median(executing))}, endTime→client has COMPLETED {Report.Ms(Stats.Median(reported))}";
        return new Summary(Stats.Median(times), details);
    }

    internal static async Task<Outcome> CreateAndRunAsync(HttpClient client, int index, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var id = await Uws.CreateAsync(client, "copy", [new("text", $"run {index}"), new("PHASE", "RUN")], cancellationToken)
            ?? throw new InvalidOperationException("creating a copy job with PHASE=RUN was not answered 303");
        var (job, arrived) = await Uws.WaitUntilFinalAsync(client, "copy", id, JobPhase.QUEUED, TimeSpan.FromSeconds(30), cancellationToken);
        return new Outcome(clock.Elapsed.TotalMilliseconds, job, arrived);
    }

    private static async Task<Outcome> PendingThenRunAsync(HttpClient client, int index, CancellationToken cancellationToken)
    {
        var id = await Uws.CreateAsync(client, "copy", [new("text", $"phase {index}")], cancellationToken)
            ?? throw new InvalidOperationException("creating a copy job was not answered 303");
        var clock = Stopwatch.StartNew();
        if (!await Uws.RunAsync(client, "copy", id, cancellationToken))
            throw new InvalidOperationException("POST .../phase PHASE=RUN was not answered 303");
        var (job, arrived) = await Uws.WaitUntilFinalAsync(client, "copy", id, JobPhase.QUEUED, TimeSpan.FromSeconds(30), cancellationToken);
        return new Outcome(clock.Elapsed.TotalMilliseconds, job, arrived);
    }
}
