using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Opus.Bench;

/// <summary>
/// The requests a user makes most, at 10,000 and at 1,000,000 stored jobs, on SQLite and on PostgreSQL:
/// GET ?LAST=100, GET one job, a creation, and the web client's list filtered by phase and run ID. The
/// first jobs are created over HTTP; the rest are inserted straight into the database while the server
/// is stopped (<see cref="DirectFill"/>); then a fresh server measures, 1 client, sequential requests.
/// </summary>
public static class ScaleBench
{
    private const int OverHttp = 1_000;
    private static readonly int[] Sizes = [10_000, 1_000_000];

    /// <summary>One size's fill may take this long on a shared machine; then the part fails rather than run on.</summary>
    private static readonly TimeSpan FillBound = TimeSpan.FromMinutes(10);

    /// <summary>A database to fill: its name, the server arguments that select it, its top-up and its size on disk.</summary>
    private sealed record Store(string Name, string[] ServerArguments, Func<int, CancellationToken, Task<FillResult>> TopUpAsync, Func<Task<long>> BytesAsync);

    private sealed record Measure(string Name, int MaxRequests, TimeSpan MaxTime, int WarmUpRequests, Func<int, CancellationToken, Task<bool>> Request);

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-scale-").FullName;
        try
        {
            var database = Path.Combine(data, "opus.db");
            var sqlite = new Store("SQLite", [],
                (target, ct) => Task.Run(() => DirectFill.TopUp(database, "copy", ServerProcess.AdminUserName, target, ct), ct),
                () => Task.FromResult(new[] { database, database + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length)));
            await RunStoreAsync(serverAssembly, data, sqlite, report, cancellationToken);
        }
        finally
        {
            Program.DeleteFolder(data);
        }

        string connection;
        try
        {
            connection = await BenchPostgres.CreateDatabaseAsync("opus_bench_scale", cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            Progress.Say($"scale: PostgreSQL skipped: {e.Message}");
            report.Note($"Scale on PostgreSQL not measured: {e.Message}.");
            return;
        }

        data = Directory.CreateTempSubdirectory("opus-bench-scale-").FullName;
        try
        {
            var postgres = new Store("PostgreSQL", BenchPostgres.ServerArguments(connection),
                (target, ct) => DirectFill.TopUpAsync(connection, "copy", ServerProcess.AdminUserName, target, ct),
                () => DirectFill.DatabaseBytesAsync(connection));
            await RunStoreAsync(serverAssembly, data, postgres, report, cancellationToken);
        }
        finally
        {
            Program.DeleteFolder(data);
            await BenchPostgres.DropDatabaseAsync(connection);
        }
    }

    private static async Task RunStoreAsync(string serverAssembly, string data, Store store, Report report, CancellationToken cancellationToken)
    {
        // The server creates the schema (its migrations) and the first jobs, whose definition version the filled rows copy.
        await using (var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, store.ServerArguments))
        {
            Progress.Say($"scale, {store.Name}: creating {OverHttp:N0} jobs over HTTP (16 clients)");
            var created = await Load.RunAsync(16, OverHttp, TimeSpan.FromSeconds(60),
                async (i, ct) => await Uws.CreateAsync(server.Client, "copy", [new("text", $"scale {i}")], ct) is not null, cancellationToken);
            if (created.Succeeded != OverHttp)
                throw new InvalidOperationException($"only {created.Succeeded} of {OverHttp} creations were answered 303");
        }

        var results = new List<Dictionary<string, LoadResult>>();
        foreach (var size in Sizes)
        {
            Progress.Say($"scale, {store.Name}: filling to {size:N0} jobs (server stopped; at most {FillBound.TotalMinutes:0} min)");
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(FillBound);
            FillResult fill;
            try
            {
                fill = await store.TopUpAsync(size, bound.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"scale, {store.Name}: the fill to {size:N0} jobs took longer than {FillBound.TotalMinutes:0} min");
            }

            var bytes = await store.BytesAsync();
            Progress.Say($"scale, {store.Name}: {fill.Inserted:N0} rows in {fill.Took.TotalSeconds:0.0} s; database {bytes / 1048576.0:N0} MiB");

            var clock = Stopwatch.StartNew();
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, store.ServerArguments);
            var start = clock.Elapsed;
            report.Note($"Scale, {store.Name}, {size:N0} jobs: {fill.Inserted:N0} rows filled in {fill.Took.TotalSeconds:0.0} s " +
                $"({fill.Inserted / fill.Took.TotalSeconds:N0} jobs/s), database {bytes / 1048576.0:N0} MiB; the server answered /health {start.TotalSeconds:0.0} s after its start.");
            try
            {
                results.Add(await MeasureAsync(server, store.Name, size, fill.Sample, report, cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"server log:\n{server.Log}");
                throw;
            }
        }

        var (small, large) = (results[0], results[1]);
        foreach (var (name, before) in small)
        {
            var after = large[name];
            var ratio = Stats.Median(after.LatenciesMs) / Stats.Median(before.LatenciesMs);
            report.Add($"Scale, {store.Name}: {name}, {Sizes[1]:N0} / {Sizes[0]:N0} jobs", $"{ratio:0.00}",
                $"median {Report.Ms(Stats.Median(after.LatenciesMs))} / {Report.Ms(Stats.Median(before.LatenciesMs))}; " +
                $"p95 {Report.Ms(Stats.P95(after.LatenciesMs))} / {Report.Ms(Stats.P95(before.LatenciesMs))}; " +
                $"{after.Succeeded:N0} / {before.Succeeded:N0} sequential requests",
                "≤ 2", ratio <= 2, "-");
        }
    }

    /// <summary>Warm-up of all four (JIT, caches), then each measured alone: 1 client, sequential, bounded in count and time.</summary>
    private static async Task<Dictionary<string, LoadResult>> MeasureAsync(
        ServerProcess server, string storeName, int size, IReadOnlyList<FilledJob> sample, Report report, CancellationToken cancellationToken)
    {
        if (sample.Count == 0)
            throw new InvalidOperationException("the fill inserted no jobs to read");
        var client = server.Client;
        var measures = new Measure[]
        {
            new("GET /rest/copy?LAST=100", 500, TimeSpan.FromSeconds(8), 10, async (_, ct) =>
            {
                using var response = await client.GetAsync("/rest/copy?LAST=100", ct);
                return response.StatusCode == HttpStatusCode.OK && ListBench.CountJobRefs(await response.Content.ReadAsByteArrayAsync(ct)) == 100;
            }),
            new("GET one job (/rest/copy/ID, 1,000 filled jobs in turn)", 5_000, TimeSpan.FromSeconds(6), 100, async (i, ct) =>
            {
                var job = sample[i % sample.Count];
                using var response = await client.GetAsync($"/rest/copy/{job.Id}", ct);
                return response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync(ct)).Contains(job.RunId, StringComparison.Ordinal);
            }),
            // Few in the warm-up: every creation adds a job to the size measured.
            new("Create job (POST /rest/copy, 303)", 2_000, TimeSpan.FromSeconds(6), 20, async (i, ct) =>
                await Uws.CreateAsync(client, "copy", [new("text", $"scale {size} {i}")], ct) is not null),
            new("GET /jobs?phase=COMPLETED&runId=ID (a 50-job page and the counts per phase; 1 match)", 2_000, TimeSpan.FromSeconds(6), 50, async (i, ct) =>
            {
                // Another filled job each time, so no one page is read from a warm cache alone.
                var job = sample[i * 7 % sample.Count];
                using var response = await client.GetAsync($"/jobs?limit=50&phase=COMPLETED&runId={Uri.EscapeDataString(job.RunId)}", ct);
                if (response.StatusCode != HttpStatusCode.OK)
                    return false;
                using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                return page.RootElement.GetProperty("total").GetInt32() == 1
                    && page.RootElement.GetProperty("jobs")[0].GetProperty("id").GetString() == job.Id;
            }),
        };

        Progress.Say($"scale, {storeName}, {size:N0} jobs: warm-up until the JIT settles (slices of the four requests, 0.25 s each)");
        var warmUp = await WarmUp.UntilJitQuietAsync(server, async ct =>
        {
            foreach (var measure in measures)
            {
                var warm = await Load.RunAsync(1, measure.WarmUpRequests, TimeSpan.FromSeconds(0.25), measure.Request, ct);
                if (warm.Failed > 0)
                    throw new InvalidOperationException($"{measure.Name}: {warm.Failed} of {warm.Failed + warm.Succeeded} answers were not the expected ones");
            }
        }, cancellationToken);
        report.Note($"Scale, {storeName}, {size:N0} jobs, warm-up: {warmUp}.");

        var results = new Dictionary<string, LoadResult>();
        foreach (var measure in measures)
        {
            Progress.Say($"scale, {storeName}, {size:N0} jobs: {measure.Name} (at most {measure.MaxRequests:N0} requests or {measure.MaxTime.TotalSeconds:0} s)");
            var result = await Load.RunAsync(1, measure.MaxRequests, measure.MaxTime, measure.Request, cancellationToken);
            if (result.Failed > 0)
                throw new InvalidOperationException($"{measure.Name}: {result.Failed} of {result.Failed + result.Succeeded} answers were not the expected ones");
            Progress.Say($"scale, {storeName}, {size:N0} jobs: {measure.Name}: {result.Describe()}");
            results[measure.Name] = result;
        }

        return results;
    }
}
