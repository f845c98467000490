using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Slurm;
using Xunit.Abstractions;

namespace Opus.Server.Tests.Measurements;

/// <summary>
/// Latency of a trivial job (copy) from RUN to EXECUTING and to COMPLETED, on the local manager and on
/// SLURM: figures, not pass/fail. Written to the test output and appended to $OPUS_MEASUREMENTS when set
/// (scripts/test.sh prints that file at the end).
/// </summary>
public sealed class LatencyMeasurements(ITestOutputHelper output)
{
    private const int Runs = 12;

    [Fact]
    public async Task Trivial_job_latency_on_the_local_manager()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Manager"] = "local" });
        await MeasureAsync(server, "local");
    }

    [Fact]
    public async Task Trivial_job_latency_on_SLURM()
    {
        await using var server = await SlurmCluster.StartServerAsync();
        await MeasureAsync(server, "slurm");
    }

    private async Task MeasureAsync(OpusServer server, string manager)
    {
        var client = server.Client;
        await RunOnceAsync(client, "warm-up");
        var toExecuting = new List<double>();
        var toCompleted = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            var (executing, completed) = await RunOnceAsync(client, $"run {i}");
            toExecuting.Add(executing);
            toCompleted.Add(completed);
        }

        var line = string.Create(CultureInfo.InvariantCulture,
            $"| {manager} | {Runs} | {Median(toExecuting):0} ms ({toExecuting.Min():0}-{toExecuting.Max():0}) | {Median(toCompleted):0} ms ({toCompleted.Min():0}-{toCompleted.Max():0}) |");
        output.WriteLine("| manager | runs | RUN → EXECUTING, median (min-max) | RUN → COMPLETED seen by the client, median (min-max) |");
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("OPUS_MEASUREMENTS") is { Length: > 0 } file)
        {
            lock (typeof(LatencyMeasurements))
            {
                if (!File.Exists(file))
                    File.WriteAllText(file, "Trivial job (copy), one at a time, POST .../phase PHASE=RUN until the client sees the phase:\n\n" +
                        "| manager | runs | RUN → EXECUTING (job startTime), median (min-max) | RUN → COMPLETED seen by the client (WAIT), median (min-max) |\n| --- | --- | --- | --- |\n");
                File.AppendAllText(file, line + "\n");
            }
        }
    }

    /// <summary>One copy job: milliseconds from the RUN request to the job's startTime, and to the client seeing COMPLETED.</summary>
    private static async Task<(double Executing, double Completed)> RunOnceAsync(HttpClient client, string text)
    {
        var job = await client.CreateJobAsync("copy", ("text", text));
        var sent = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using (var run = await client.PostFormAsync($"{job}/phase", ("PHASE", "RUN")))
            Assert.Equal(System.Net.HttpStatusCode.SeeOther, run.StatusCode);

        // WAIT wakes at each change: the client sees COMPLETED as soon as the server has it.
        XDocument current = await client.GetXmlAsync(job);
        while (!JobSteps.IsFinal(current.Phase()))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{job} is still {current.Phase()} after 60 s");
            current = await client.GetXmlAsync($"{job}?WAIT=30&PHASE={current.Phase()}");
        }

        var completed = clock.Elapsed.TotalMilliseconds;
        Assert.Equal("COMPLETED", current.Phase());
        var start = DateTime.Parse(current.Root!.Element(UwsSchema.Uws + "startTime")!.Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        return ((start - sent).TotalMilliseconds, completed);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
