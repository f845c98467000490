using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// RUN-to-COMPLETED of a trivial job (copy): the client blocks in WAIT=30&amp;PHASE=(last phase
/// seen), which wakes on each change, so the time measures the job and not a polling interval.
/// Where the time goes comes from the server's own log of each job's stages (LocalManager at Debug).
/// </summary>
public static partial class RunBench
{
    /// <summary>The server argument that logs each local job's stages (read back by <see cref="Stages"/>).</summary>
    public const string StageLogging = "--Logging:LogLevel:Opus.Core.Execution.LocalManager=Debug";

    private const int Runs = 40;
    private const int WarmUpJobs = 100;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var client = server.Client;

        Progress.Say("trivial job: warm-up");
        for (var i = 0; i < 3; i++)
            await CreateAndRunAsync(client, i, cancellationToken);
        // Then jobs until the JIT has settled: before, the runs measured tier-up compilation too (on a fresh server
        // about two thirds of its CPU per job), which a server that has been up a while no longer pays. A method is
        // compiled again after 30 calls, and once more after 30 instrumented ones: at least WarmUpJobs jobs first.
        var warm = 3;
        while (warm < WarmUpJobs)
            await CreateAndRunAsync(client, warm++, cancellationToken);
        var warmUp = await WarmUp.UntilJitQuietAsync(server, async token =>
        {
            var slice = Stopwatch.StartNew();
            while (slice.Elapsed < TimeSpan.FromSeconds(1))
                await CreateAndRunAsync(client, warm++, token);
        }, cancellationToken);
        report.Note($"Trivial job warm-up: {warm} jobs, {warmUp}.");

        Progress.Say($"trivial job: POST creation with PHASE=RUN until COMPLETED ({Runs} runs, at most {TimeBound.TotalSeconds:0} s)");
        var (server0, children0, client0) = (server.CpuTime(), server.ChildrenCpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        var created = await MeasureAsync(i => CreateAndRunAsync(client, i, cancellationToken));
        var (server1, client1) = (server.CpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        // The last job's processes end (and are reaped) just after its COMPLETED: a moment for them to be counted.
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        var children1 = server.ChildrenCpuTime();
        report.Add("Trivial job (copy): POST create PHASE=RUN → COMPLETED", $"median {Report.Ms(created.Median)}", created.Details,
            "median < 30 ms", created.Median < 30, "median 0.80 s (0.50-0.91)");
        var jobs = Math.Max(1, created.Outcomes.Count);
        report.Add("Trivial job (copy): CPU per job", $"server {Report.Ms((server1 - server0).TotalMilliseconds / jobs)}, " +
            $"job processes {Report.Ms((children1 - children0).TotalMilliseconds / jobs)}, client {Report.Ms((client1 - client0).TotalMilliseconds / jobs)}",
            "the same runs: CPU time used (10 ms ticks) over the runs / runs; job processes = the server's reaped children (setsid, limits shell, bwrap, " +
            "setpriv, runner, script and all they started). Unlike the times above, hardly changed by other load on the machine", "-", null, "-");
        if (Stages(server.Log, created.Outcomes) is { } stages)
            report.Add("Trivial job (copy): where the time goes, medians", stages, "create = client POST → 303 answer; the next six from the server's Debug log of the job " +
                "(queue = creation → a worker takes it; process start = claim, limits, cgroup, fork/exec of setsid; runner start = until the runner's EXECUTING stamp " +
                "(limits shell, bwrap, setpriv, runner shell, job.env); script = EXECUTING → COMPLETED stamps (the script's own shell and its work); " +
                "report = COMPLETED stamp → line read by the server; end written = results hashed and stored, phase and provenance written, WAIT signalled); " +
                "wake-up = end written → the client has the COMPLETED answer", "-", null, "-");

        Progress.Say($"trivial job: POST /phase PHASE=RUN until COMPLETED ({Runs} runs, at most {TimeBound.TotalSeconds:0} s)");
        var phased = await MeasureAsync(i => PendingThenRunAsync(client, i, cancellationToken));
        report.Add("Trivial job (copy): POST .../phase PHASE=RUN → COMPLETED", $"median {Report.Ms(phased.Median)}", phased.Details,
            "median < 30 ms", phased.Median < 30, "median 0.59 s (0.49-1.57)");
    }

    internal sealed record Outcome(double Milliseconds, JobView Job, DateTime Arrived, double CreateMilliseconds);

    private sealed record Summary(double Median, string Details, List<Outcome> Outcomes);

    [GeneratedRegex(@"Job (\S+) stages \(ms\): queue ([\d.-]+), process start ([\d.-]+), runner start ([\d.-]+), script ([\d.-]+), report ([\d.-]+), end written ([\d.-]+); ended at (\S+)")]
    private static partial Regex StageLine();

    /// <summary>The medians of each stage over the runs, from the server's log; null when it logged none (an older server).</summary>
    private static string? Stages(string log, List<Outcome> outcomes)
    {
        var logged = StageLine().Matches(log).ToDictionary(m => m.Groups[1].Value, m => m.Groups);
        var names = new[] { "queue", "process start", "runner start", "script", "report", "end written" };
        var columns = names.Select(_ => new List<double>()).ToArray();
        var create = new List<double>();
        var wake = new List<double>();
        foreach (var outcome in outcomes)
        {
            if (!logged.TryGetValue(outcome.Job.Id, out var groups))
                continue;
            create.Add(outcome.CreateMilliseconds);
            for (var i = 0; i < names.Length; i++)
                columns[i].Add(double.Parse(groups[i + 2].Value, CultureInfo.InvariantCulture));
            var ended = DateTime.Parse(groups[8].Value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            wake.Add((outcome.Arrived - ended).TotalMilliseconds);
        }

        if (create.Count == 0)
            return null;
        var parts = new List<string> { $"create {Report.Ms(Stats.Median(create))}" };
        parts.AddRange(names.Select((name, i) => $"{name} {Report.Ms(Stats.Median(columns[i]))}"));
        parts.Add($"wake-up {Report.Ms(Stats.Median(wake))}");
        return $"{string.Join(", ", parts)} ({create.Count} runs)";
    }

    private static async Task<Summary> MeasureAsync(Func<int, Task<Outcome>> run)
    {
        var times = new List<double>();
        var queued = new List<double>();
        var executing = new List<double>();
        var reported = new List<double>();
        var outcomes = new List<Outcome>();
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

            outcomes.Add(outcome);
            times.Add(outcome.Milliseconds);
            queued.Add((start - outcome.Job.CreationTime).TotalMilliseconds);
            executing.Add((end - start).TotalMilliseconds);
            reported.Add((outcome.Arrived - end).TotalMilliseconds);
        }

        var details = $"{times.Count} runs{(failed > 0 ? $", {failed} not COMPLETED" : "")}; p95 {Report.Ms(Stats.P95(times))}, min {Report.Ms(times.DefaultIfEmpty(double.NaN).Min())}; " +
            $"server times (ms resolution), medians: creation→startTime {Report.Ms(Stats.Median(queued))}, " +
            $"startTime→endTime {Report.Ms(Stats.Median(executing))}, endTime→client has COMPLETED {Report.Ms(Stats.Median(reported))}";
        return new Summary(Stats.Median(times), details, outcomes);
    }

    internal static async Task<Outcome> CreateAndRunAsync(HttpClient client, int index, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var id = await Uws.CreateAsync(client, "copy", [new("text", $"run {index}"), new("PHASE", "RUN")], cancellationToken)
            ?? throw new InvalidOperationException("creating a copy job with PHASE=RUN was not answered 303");
        var create = clock.Elapsed.TotalMilliseconds;
        var (job, arrived) = await Uws.WaitUntilFinalAsync(client, "copy", id, JobPhase.QUEUED, TimeSpan.FromSeconds(30), cancellationToken);
        return new Outcome(clock.Elapsed.TotalMilliseconds, job, arrived, create);
    }

    private static async Task<Outcome> PendingThenRunAsync(HttpClient client, int index, CancellationToken cancellationToken)
    {
        var id = await Uws.CreateAsync(client, "copy", [new("text", $"phase {index}")], cancellationToken)
            ?? throw new InvalidOperationException("creating a copy job was not answered 303");
        var clock = Stopwatch.StartNew();
        if (!await Uws.RunAsync(client, "copy", id, cancellationToken))
            throw new InvalidOperationException("POST .../phase PHASE=RUN was not answered 303");
        var run = clock.Elapsed.TotalMilliseconds;
        var (job, arrived) = await Uws.WaitUntilFinalAsync(client, "copy", id, JobPhase.QUEUED, TimeSpan.FromSeconds(30), cancellationToken);
        return new Outcome(clock.Elapsed.TotalMilliseconds, job, arrived, run);
    }
}
