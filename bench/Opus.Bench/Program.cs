using System.Diagnostics;

namespace Opus.Bench;

/// <summary>
/// Opus benchmark: starts a Release Opus server (SQLite, local manager) on 127.0.0.1 with a
/// temporary data folder, measures it over loopback HTTP and prints a markdown table.
/// Usage: Opus.Bench [--server path/to/Opus.Server.dll] [--only load|run|ref|lists|prov|sandbox|wait|client|scale|pg2]
///                   [--server-arg --Key=Value]... [--server-env NAME=VALUE]... (for experiments)
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--reference"))
            return await ReferenceServer.RunAsync(args);
        var serverAssembly = ServerAssembly(args);
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--server-arg")
                ServerProcess.ExtraArguments.Add(args[i + 1]);
            else if (args[i] == "--server-env" && args[i + 1].Contains('='))
                ServerProcess.ExtraEnvironment.Add(args[i + 1]);
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        var report = new Report();
        report.Note($"Load average (1, 5, 15 min) at the start: {Machine.LoadAverage()}.");
        var clock = Stopwatch.StartNew();
        try
        {
            // --only load | run | ref | lists | prov | sandbox | wait | client | scale | pg2: one part, for quicker experiments.
            var only = Array.IndexOf(args, "--only") is var at && at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            if (only is null or "load")
                await LoadAsync(serverAssembly, report, stop.Token);
            if (only is "run")
                await RunOnlyAsync(serverAssembly, report, stop.Token);
            if (only is null or "ref")
                await ReferenceBench.RunAsync(serverAssembly, report, stop.Token);
            if (only is null or "wait")
                await WaitOnlyAsync(serverAssembly, report, stop.Token);
            if (only is null or "lists")
                await ListBench.RunAsync(serverAssembly, report, stop.Token);
            if (only is null or "prov")
                await ProvenanceBench.RunAsync(serverAssembly, report, stop.Token);
            if (only is null or "sandbox")
                await SandboxBench.RunAsync(serverAssembly, report, stop.Token);
            if (only is null or "client")
                await ClientBench.RunAsync(serverAssembly, report, stop.Token);
            // Only when asked for: the million-job fills take minutes, and both need PostgreSQL.
            if (only is "scale")
                await ScaleBench.RunAsync(serverAssembly, report, stop.Token);
            if (only is "pg2")
                await TwoServerBench.RunAsync(serverAssembly, report, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
            return 130;
        }

        if (ServerProcess.ExtraArguments.Count + ServerProcess.ExtraEnvironment.Count > 0)
            report.Note($"Extra server settings: {string.Join(" ", ServerProcess.ExtraArguments.Concat(ServerProcess.ExtraEnvironment))}.");
        report.Note($"The whole benchmark took {clock.Elapsed.TotalSeconds:0} s.");
        report.Print(Console.Out, Machine.Describe(), Method(serverAssembly));
        return 0;
    }

    /// <summary>Creations, reads, trivial jobs and WAIT on one server and data folder; then its memory.</summary>
    private static async Task LoadAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, RunBench.StageLogging);
            try
            {
                var ids = await CreationBench.RunAsync(server, report, cancellationToken);
                await ReadBench.RunAsync(server, ids, report, cancellationToken);
                await RunBench.RunAsync(server, report, cancellationToken);
                await WaitBench.RunAsync(server, report, cancellationToken);
                var (peak, current) = server.Memory();
                report.Add("Server RSS after creation, read and job load", $"peak {peak:0} MiB, now {current:0} MiB",
                    $"VmHWM / VmRSS; {DirectFillSafeCount(data)} jobs stored", "-", null, "-");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"server log:\n{server.Log}");
                throw;
            }
        }
        finally
        {
            DeleteFolder(data);
        }
    }

    /// <summary>The trivial job alone, on a fresh server of its own (quicker experiments on its stages).</summary>
    private static async Task RunOnlyAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, RunBench.StageLogging);
            await RunBench.RunAsync(server, report, cancellationToken);
        }
        finally
        {
            DeleteFolder(data);
        }
    }

    /// <summary>WAIT for a thousand clients, on a fresh server of its own (with /metrics, to see the waiters parked).</summary>
    private static async Task WaitOnlyAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, "--Opus:Metrics:Enabled=true");
            await WaitManyBench.RunAsync(server, report, cancellationToken);
        }
        finally
        {
            DeleteFolder(data);
        }
    }

    private static string DirectFillSafeCount(string data)
    {
        // Read-only count while the server runs (WAL lets a reader in); only for the report.
        try
        {
            return (DirectFill.Count(Path.Combine(data, "opus.db"), "copy") + DirectFill.Count(Path.Combine(data, "opus.db"), "sleep")).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            return "?";
        }
    }

    private static IEnumerable<string> Method(string serverAssembly)
    {
        yield return $"Server: Release build ({serverAssembly}) started as `dotnet Opus.Server.dll --urls=http://127.0.0.1:<free port> --Opus:DataPath=<temp folder> --Logging:LogLevel:Default=Warning`: " +
            "SQLite storage, local manager (Opus:MaxConcurrentJobs default), ASPNETCORE_ENVIRONMENT=Production. Each part starts on a fresh temporary data folder, deleted afterwards. " +
            "Authentication is on: the first admin's token is set with --Opus:Auth:AdminToken and every request carries it (Authorization: Bearer); the bench works as that admin, " +
            "so job lists are unfiltered by owner and show ownerId.";
        yield return "Client: this process, on the same machine (it competes with the server for the CPUs); one HttpClient with SocketsHttpHandler " +
            "(keep-alive, AllowAutoRedirect=false, MaxConnectionsPerServer=256), loopback only.";
        yield return "Throughput: closed loop, N clients each sending the next request as soon as the previous answer is read; rate = expected answers / wall time. " +
            "Every loop is bounded by a request count and a duration, whichever comes first. " +
            "Before the creation and read loads the same load runs in one-second slices until the server's JIT has settled (its tier-up thread under 2 % of a slice; at most 30 s); warm-up requests are not counted.";
        yield return "Creations: POST /rest/copy text=... (form), counted only when answered 303. Reads: GET /rest/copy/{id}, counted when 200 with a body.";
        yield return "Lists: 1 client, sequential GETs of /rest/copy and /rest/copy?LAST=100, the whole body read, after 2 full and 5 LAST=100 warm-up GETs; " +
            "the job count of the full list is checked.";
        yield return "Trivial job: copy. Timed from sending the POST until the answer showing COMPLETED is read; the client waits with GET ?WAIT=30&PHASE=<last phase seen>, " +
            "which the server answers at the phase change, so no polling interval is included. Sequential runs, after at least 100 warm-up jobs and then " +
            "until the server's JIT has settled (as for the loads).";
        yield return "WAIT wake-up: sleep job with seconds=1, a client blocked in GET ?WAIT=30&PHASE=EXECUTING; delay = arrival of the answer (client clock) - endTime in the job XML " +
            "(same machine clock). It covers the runner's report (a line on the pipe the local manager reads), the end's writes and the wake-up.";
        yield return "WAIT for 1,000 clients: a server of its own with /metrics; 1,000 plain HTTP/1.1 sockets (kept alive) each send GET ?WAIT=60&PHASE=PENDING, on one job or one job each; " +
            "once the opus_uws_wait_clients gauge counts them all, PHASE=ABORT is posted (for 1,000 jobs one after the other). Wake-up = from sending that POST until the answer is whole, " +
            "timed as its last bytes are received (a receive pending on every socket; no HTTP client's parsing or connection pool before it). Rounds of 1,000 on one job until the server's JIT settles, then 3 rounds each.";
        yield return "Sandbox cost: two servers at once on data folders of their own, --Opus:Local:Sandbox=none and =bubblewrap (both with the per-job limits: cgroups and rlimits), " +
            "each running the trivial copy job as above in turn (the first of each pair alternating), 3 warm-up pairs, then at most 40 pairs or 120 s; the cost is the median of the pairs' differences.";
        yield return $"References: wrk -t2 -c16 against a bare Kestrel hello-world (WebApplication.CreateSlimBuilder, one MapGet) and a bare Kestrel + Microsoft.Data.Sqlite " +
            "server (one pooled connection opened per POST, form read, one INSERT, WAL, synchronous=NORMAL, 303 answer), each a child process of the bench; " +
            $"then GET /rest/copy/{{id}} and POST /rest/copy text=bench on a fresh Opus server with the admin's Bearer token; 3 s warm-up each, and Opus's until its JIT settles, then {3} rounds of 5 s of the four in turn; " +
            "the ratios are per round (Opus / its reference of the same round), their median reported.";
        yield return "Memory: VmHWM (peak) and VmRSS (current) from /proc/<server pid>/status.";
        yield return "Scale (`--only scale`, not in the full run: filling takes minutes): on SQLite, then on a fresh PostgreSQL database (" + BenchPostgres.Describe() + ", dropped afterwards; " +
            "--Opus:Storage:Provider=Postgres), a server creates the schema (its migrations) and 1,000 copy jobs over HTTP, then stops; the jobs table is filled to 10,000, " +
            "then to 1,000,000 COMPLETED copy jobs straight into the database with the server stopped (SQLite: prepared INSERTs, a commit every 50,000; PostgreSQL: binary COPY, then VACUUM ANALYZE; " +
            "each job with its job_parameter_keys and prov_activities rows, run ID fill-{n/1000}-{n}). At each size a fresh server warms up (the four requests in 0.25 s slices until its JIT settles) and then measures, " +
            "1 client, sequential: GET /rest/copy?LAST=100 (100 jobrefs checked), GET /rest/copy/{id} over 1,000 filled jobs spread over the fill (its runId checked), " +
            "POST /rest/copy (303), and GET /jobs?limit=50&phase=COMPLETED&runId=<a filled job's> (total 1 and that job checked); each at most 8 s or a bound count. " +
            "Reported: median and p95 at 1,000,000 / at 10,000 and the ratio of the medians.";
        yield return "Two servers (`--only pg2`, not in the full run: it needs PostgreSQL): a fresh PostgreSQL database and one data folder; the first server starts (migrates), one job is created, the server warms up under wrk until its JIT settles; " +
            "then a second server process starts on the same database and folder and warms up alike. Then 3 rounds of 5 s each: wrk -t2 -c16 on the first server alone (the second idle), " +
            "and wrk -t1 -c8 on each of the two at once (rates added), for GET /rest/copy/{id} and for POST /rest/copy text=bench; the ratio two / one per round, its median reported. " +
            "Both servers, PostgreSQL and wrk share the same 2 cores.";
        yield return $"Provenance: a server of its own with one definition, `chain` (appends its text to its optional input); a chain of {ProvenanceBench.ChainLength} jobs run over HTTP, " +
            "each given the previous result's store digest as input. Then 1 client, sequential GETs of /provsap?ID=<last job>&DEPTH=ALL (BACK) and ?ID=<first job>&DEPTH=ALL&DIRECTION=FORWARD " +
            "with RESPONSEFORMAT=PROV-JSON, the whole body read, after 2 warm-up GETs that check every job of the chain is in the document; median of at most 15 GETs or 60 s.";
    }

    private static string ServerAssembly(string[] args)
    {
        var at = Array.IndexOf(args, "--server");
        if (at >= 0 && at + 1 < args.Length)
            return Path.GetFullPath(args[at + 1]);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Opus.sln")))
            dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? ".", "src", "Opus.Server", "bin", "Release", "net10.0", "Opus.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the server in Release first (bench/run.sh does)", path);
    }

    public static void DeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"could not delete {path}: {e.Message}");
        }
    }
}
