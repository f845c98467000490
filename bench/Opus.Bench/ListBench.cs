using System.Diagnostics;
using System.Net;
using System.Text;

namespace Opus.Bench;

/// <summary>
/// Job list latency (1 client, sequential GETs, whole body read) for the full list and for LAST=100,
/// at 10,000 and 100,000 stored jobs, on a data folder of its own. The first jobs are created over
/// HTTP; the rest are inserted straight into SQLite while the server is stopped (see <see cref="DirectFill"/>).
/// </summary>
public static class ListBench
{
    private const int OverHttp = 1_000;
    private static readonly byte[] JobRef = Encoding.ASCII.GetBytes("<uws:jobref ");

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-list-").FullName;
        var database = Path.Combine(data, "opus.db");
        try
        {
            await using (var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken))
            {
                Progress.Say($"lists: creating {OverHttp:N0} jobs over HTTP (16 clients)");
                var created = await Load.RunAsync(16, OverHttp, TimeSpan.FromSeconds(60),
                    async (i, ct) => await Uws.CreateAsync(server.Client, "copy", [new("text", $"list {i}")], ct) is not null, cancellationToken);
                if (created.Succeeded != OverHttp)
                    throw new InvalidOperationException($"only {created.Succeeded} of {OverHttp} creations were answered 303");
            }

            var insertedTotal = 0;
            foreach (var (size, fullRuns, fullTime) in new[] { (10_000, 20, 20), (100_000, 10, 60) })
            {
                var (inserted, took, _) = DirectFill.TopUp(database, "copy", ServerProcess.AdminUserName, size, cancellationToken);
                insertedTotal += inserted;
                Progress.Say($"lists: inserted {inserted:N0} rows into SQLite in {took.TotalSeconds:0.0} s (server stopped); {DirectFill.Count(database, "copy"):N0} jobs in the list");
                report.Note($"{size:N0}-job list: {OverHttp:N0} jobs created over HTTP, then {insertedTotal:N0} COMPLETED copy jobs inserted straight into the jobs table of opus.db " +
                    $"with Microsoft.Data.Sqlite (the last {inserted:N0} in {took.TotalSeconds:0.0} s, a commit every 50,000) while the server was stopped, then the server was restarted.");

                await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken);
                try
                {
                    await MeasureAsync(server, size, fullRuns, TimeSpan.FromSeconds(fullTime), report, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Console.Error.WriteLine($"server log:\n{server.Log}");
                    throw;
                }

                var (peak, current) = server.Memory();
                report.Add($"Server RSS after the list load at {size:N0} jobs", $"peak {peak:0} MiB, now {current:0} MiB",
                    "VmHWM / VmRSS of a fresh server process after the list requests above", "-", null, "-");
            }
        }
        finally
        {
            Program.DeleteFolder(data);
        }
    }

    private static async Task MeasureAsync(ServerProcess server, int size, int fullRuns, TimeSpan fullTime, Report report, CancellationToken cancellationToken)
    {
        // Warm-up (JIT, SQLite page cache) and a check that the lists hold what they should.
        var body = await FetchAsync(server.Client, "", cancellationToken);
        var bytes = body.LongLength;
        if (CountJobRefs(body) is var count && count != size)
            throw new InvalidOperationException($"the full list holds {count} jobs, not {size}");
        await FetchAsync(server.Client, "", cancellationToken);
        for (var i = 0; i < 5; i++)
        {
            if (CountJobRefs(await FetchAsync(server.Client, "?LAST=100", cancellationToken)) is var last && last != 100)
                throw new InvalidOperationException($"LAST=100 gave {last} jobs");
        }

        Progress.Say($"lists: full list at {size:N0} jobs (at most {fullRuns} requests or {fullTime.TotalSeconds:0} s)");
        var cpu = CpuMeter.Start(server);
        var full = await TimeAsync(server.Client, "", fullRuns, fullTime, cancellationToken);
        var fullCpu = cpu.Stop(full.Count);
        var baseline = size == 10_000 ? "0.358 s median (9,994 jobs, 1.83 MB)" : "not measured; linear at ~34 µs/job ≈ 3.4 s";
        report.Add($"Job list, full, {size:N0} jobs", $"median {Report.Ms(Stats.Median(full))}",
            $"{full.Count} GETs; p95 {Report.Ms(Stats.P95(full))}; {bytes / 1024.0 / 1024.0:0.00} MiB of XML; {fullCpu}", "-", null, baseline);

        Progress.Say($"lists: LAST=100 at {size:N0} jobs (at most 300 requests or 10 s)");
        cpu = CpuMeter.Start(server);
        var last100 = await TimeAsync(server.Client, "?LAST=100", 300, TimeSpan.FromSeconds(10), cancellationToken);
        var lastCpu = cpu.Stop(last100.Count);
        report.Add($"Job list, LAST=100, {size:N0} jobs", $"median {Report.Ms(Stats.Median(last100))}",
            $"{last100.Count} GETs; p95 {Report.Ms(Stats.P95(last100))}; {lastCpu}",
            size == 100_000 ? "< 10 ms" : "-", size == 100_000 ? Stats.Median(last100) < 10 : null,
            "LAST=10: 0.12 s at 10k (and the oldest 10)");

        if (size == 100_000)
            await MeasureFiltersAsync(server, report, cancellationToken);
    }

    /// <summary>
    /// GET /jobs (the web client's list, a page of 50 with the counts per phase) with each filter, at
    /// 100,000 jobs: each must answer from an index, under 100 ms. The filled jobs' run IDs and texts
    /// are DirectFill's (fill-50-50000, "filled 50000"); the date range holds about 36,000 of them (one a second).
    /// </summary>
    private static async Task MeasureFiltersAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var from = Uri.EscapeDataString(UwsTimeOf(DateTime.UtcNow.AddHours(-20)));
        var to = Uri.EscapeDataString(UwsTimeOf(DateTime.UtcNow.AddHours(-10)));
        var filters = new (string Name, string Query, int? Expected)[]
        {
            ("no filter", "", null),
            ("run ID, exact", "runId=fill-50-50000", 1),
            ("run ID, prefix (1,000 match)", "runIdPrefix=fill-50-", 1000),
            ("parameter value", "param=text%3Dfilled%2050000", 1),
            ("owner", $"owner={ServerProcess.AdminUserName}", null),
            ("two phases and a 10-hour range", $"phase=COMPLETED&phase=ABORTED&createdFrom={from}&createdTo={to}", null),
            ("every filter at once", $"definition=copy&runIdPrefix=fill-50-&param=text%3Dfilled%2050001&phase=COMPLETED&owner={ServerProcess.AdminUserName}", 1),
        };
        foreach (var (name, query, expected) in filters)
        {
            var path = $"/jobs?limit=50&{query}";
            var total = await TotalAsync(server.Client, path, cancellationToken);
            if (expected is { } want && total != want)
                throw new InvalidOperationException($"GET {path} found {total} jobs, not {want}");
            var times = new List<double>();
            for (var i = 0; i < 30; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await TotalAsync(server.Client, path, cancellationToken);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            report.Add($"GET /jobs filtered by {name}, 100,000 jobs", $"median {Report.Ms(Stats.Median(times))}",
                $"{times.Count} GETs of a 50-job page with counts per phase; p95 {Report.Ms(Stats.P95(times))}; {total:N0} jobs match",
                "< 100 ms", Stats.Median(times) < 100, "-");
        }
    }

    private static string UwsTimeOf(DateTime value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    internal static async Task<int> TotalAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("total").GetInt32();
    }

    private static async Task<List<double>> TimeAsync(HttpClient client, string query, int maxRuns, TimeSpan maxTime, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (times.Count < maxRuns && clock.Elapsed < maxTime)
        {
            var started = Stopwatch.GetTimestamp();
            await FetchAsync(client, query, cancellationToken);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return times;
    }

    /// <summary>GET /rest/copy{query}, the whole body read.</summary>
    private static async Task<byte[]> FetchAsync(HttpClient client, string query, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/rest/copy{query}", cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET /rest/copy{query} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    internal static int CountJobRefs(byte[] body)
    {
        var count = 0;
        var rest = body.AsSpan();
        for (var at = rest.IndexOf(JobRef); at >= 0; at = rest.IndexOf(JobRef))
        {
            count++;
            rest = rest[(at + JobRef.Length)..];
        }

        return count;
    }
}
