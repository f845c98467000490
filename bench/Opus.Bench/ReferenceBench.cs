using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Opus.Bench;

/// <summary>
/// Opus against what this machine can do, in the same minutes: wrk (16 connections, 2 threads) on a bare Kestrel
/// hello-world and GET one Opus job, then on a bare Kestrel + Microsoft.Data.Sqlite INSERT per request and Opus job
/// creations; the four in turn, several rounds, so load from elsewhere falls on all alike. Reports the ratios.
/// </summary>
public static partial class ReferenceBench
{
    private const int Rounds = 3;
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-ref-").FullName;
        var referenceData = Directory.CreateTempSubdirectory("opus-bench-refdb-").FullName;
        var hello = StartReference("hello", referenceData);
        var insert = StartReference("insert", referenceData);
        try
        {
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken);
            var job = await Uws.CreateAsync(server.Client, "copy", [new("text", "reference")], cancellationToken)
                ?? throw new InvalidOperationException("creation not answered 303");
            await ReadyAsync(hello.Url, cancellationToken);
            await ReadyAsync(insert.Url, cancellationToken);

            var post = await PostScriptAsync(referenceData, cancellationToken);
            var auth = $"Authorization: Bearer {ServerProcess.AdminToken}";
            var targets = new (string Name, string[] Arguments)[]
            {
                ("hello", [hello.Url + "/"]),
                ("get", ["-H", auth, $"{server.BaseUri}rest/copy/{job}"]),
                ("insert", ["-s", post, insert.Url + "/"]),
                ("create", ["-s", post, "-H", auth, $"{server.BaseUri}rest/copy"]),
            };

            Progress.Say("references: warm-up, 3 s of wrk on each, then Opus until its JIT settles (1 s of reads and 1 s of creations a slice)");
            foreach (var (_, arguments) in targets)
                await WrkAsync(arguments, TimeSpan.FromSeconds(3), cancellationToken);
            var warmUp = await WarmUp.UntilJitQuietAsync(server, async ct =>
            {
                await WrkAsync(targets[1].Arguments, TimeSpan.FromSeconds(1), ct);
                await WrkAsync(targets[3].Arguments, TimeSpan.FromSeconds(1), ct);
            }, cancellationToken);
            report.Note($"Reference runs, the Opus server's warm-up: {warmUp}.");

            var rates = targets.ToDictionary(t => t.Name, _ => new List<double>());
            for (var round = 0; round < Rounds; round++)
            {
                Progress.Say($"references: round {round + 1} of {Rounds} ({Slice.TotalSeconds:0} s each: hello-world, GET one job, INSERT server, creations)");
                foreach (var (name, arguments) in targets)
                    rates[name].Add(await WrkAsync(arguments, Slice, cancellationToken));
            }

            string Rates(string name) => string.Join(", ", rates[name].Select(r => r.ToString("N0", CultureInfo.InvariantCulture)));
            var reads = Enumerable.Range(0, Rounds).Select(i => rates["get"][i] / rates["hello"][i]).ToList();
            var creations = Enumerable.Range(0, Rounds).Select(i => rates["create"][i] / rates["insert"][i]).ToList();
            report.Add("GET one job / bare Kestrel hello-world, wrk 16 connections", $"{Stats.Median(reads):0.00}",
                $"per round {string.Join(", ", reads.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; GET one job {Rates("get")} /s; hello-world {Rates("hello")} /s",
                "≥ 0.45", Stats.Median(reads) >= 0.45, "-");
            report.Add("Job creations / bare Kestrel + SQLite INSERT per request, wrk 16 connections", $"{Stats.Median(creations):0.00}",
                $"per round {string.Join(", ", creations.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; creations {Rates("create")} /s; INSERT server {Rates("insert")} /s",
                "≥ 0.7", Stats.Median(creations) >= 0.7, "-");
        }
        finally
        {
            Stop(hello.Process);
            Stop(insert.Process);
            Program.DeleteFolder(data);
            Program.DeleteFolder(referenceData);
        }
    }

    private static (Process Process, string Url) StartReference(string kind, string data)
    {
        var url = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var argument in new[] { typeof(ReferenceBench).Assembly.Location, "--reference", kind, "--urls", url, "--data", data })
            start.ArgumentList.Add(argument);
        start.Environment["DOTNET_NOLOGO"] = "1";
        return (Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), url);
    }

    private static async Task ReadyAsync(string url, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                // Any answer (the INSERT server has no GET route) means Kestrel listens.
                using var response = await client.GetAsync(url + "/", cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
                    return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"the reference server at {url} did not answer within 60 s");
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Failures();

    /// <summary>A wrk script (in <paramref name="folder"/>) that POSTs the form text=bench: a job creation.</summary>
    internal static async Task<string> PostScriptAsync(string folder, CancellationToken cancellationToken)
    {
        var post = Path.Combine(folder, "post.lua");
        await File.WriteAllTextAsync(post,
            "wrk.method = \"POST\"\nwrk.body = \"text=bench\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n", cancellationToken);
        return post;
    }

    /// <summary>Requests per second wrk measured (16 connections on 2 threads unless told); an answer other than 2xx/3xx fails the bench.</summary>
    internal static async Task<double> WrkAsync(string[] arguments, TimeSpan duration, CancellationToken cancellationToken, int connections = 16, int threads = 2)
    {
        var start = new ProcessStartInfo("wrk") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { $"-t{threads}", $"-c{connections}", $"-d{duration.TotalSeconds:0}s" }.Concat(arguments))
            start.ArgumentList.Add(argument);
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start (apt-get install wrk)");
        var output = await wrk.StandardOutput.ReadToEndAsync(cancellationToken);
        await wrk.WaitForExitAsync(cancellationToken);
        if (Failures().Match(output) is { Success: true } failed && failed.Groups[1].Value != "0")
            throw new InvalidOperationException($"wrk {string.Join(' ', arguments)}: {failed.Value}");
        return RequestsPerSecond().Match(output) is { Success: true } rate
            ? double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"wrk {string.Join(' ', arguments)} printed no rate:\n{output}");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill();
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}
