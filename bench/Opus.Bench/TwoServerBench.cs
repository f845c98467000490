using System.Globalization;

namespace Opus.Bench;

/// <summary>
/// Two Opus server processes on one PostgreSQL database (and one data folder, as a site runs them)
/// against one: GET one job and job creations per second under wrk, 16 connections on one process,
/// then 8 on each of the two at once, in rounds, so load from elsewhere falls on both alike.
/// </summary>
public static class TwoServerBench
{
    private const int Rounds = 3;
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        string connection;
        try
        {
            connection = await BenchPostgres.CreateDatabaseAsync("opus_bench_two", cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            Progress.Say($"two servers: skipped: {e.Message}");
            report.Note($"Two servers on one PostgreSQL not measured: {e.Message}.");
            return;
        }

        var data = Directory.CreateTempSubdirectory("opus-bench-two-").FullName;
        var scripts = Directory.CreateTempSubdirectory("opus-bench-wrk-").FullName;
        try
        {
            var arguments = BenchPostgres.ServerArguments(connection);
            // One after the other, as a site would: the first migrates the empty database and creates the admin.
            await using var first = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, arguments);
            var job = await Uws.CreateAsync(first.Client, "copy", [new("text", "two servers")], cancellationToken)
                ?? throw new InvalidOperationException("creation not answered 303");
            var post = await ReferenceBench.PostScriptAsync(scripts, cancellationToken);
            var auth = $"Authorization: Bearer {ServerProcess.AdminToken}";
            string[] Get(ServerProcess server) => ["-H", auth, $"{server.BaseUri}rest/copy/{job}"];
            string[] Create(ServerProcess server) => ["-s", post, "-H", auth, $"{server.BaseUri}rest/copy"];

            Progress.Say("two servers: the first one's warm-up (1 s of reads and 1 s of creations a slice)");
            report.Note($"Two servers, the first one's warm-up: {await WarmUpAsync(first, Get, Create, cancellationToken)}.");
            await using var second = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, arguments);
            Progress.Say("two servers: the second one's warm-up");
            report.Note($"Two servers, the second one's warm-up: {await WarmUpAsync(second, Get, Create, cancellationToken)}.");

            async Task<double> OneAsync(Func<ServerProcess, string[]> target) =>
                await ReferenceBench.WrkAsync(target(first), Slice, cancellationToken);

            async Task<(double First, double Second)> TwoAsync(Func<ServerProcess, string[]> target)
            {
                var a = ReferenceBench.WrkAsync(target(first), Slice, cancellationToken, connections: 8, threads: 1);
                var b = ReferenceBench.WrkAsync(target(second), Slice, cancellationToken, connections: 8, threads: 1);
                return (await a, await b);
            }

            var reads = (One: new List<double>(), Two: new List<(double, double)>());
            var creations = (One: new List<double>(), Two: new List<(double, double)>());
            for (var round = 0; round < Rounds; round++)
            {
                Progress.Say($"two servers: round {round + 1} of {Rounds} ({Slice.TotalSeconds:0} s each: reads on one, on two; creations on one, on two)");
                reads.One.Add(await OneAsync(Get));
                reads.Two.Add(await TwoAsync(Get));
                creations.One.Add(await OneAsync(Create));
                creations.Two.Add(await TwoAsync(Create));
            }

            Add(report, "GET one job", reads.One, reads.Two);
            Add(report, "Job creations (POST /rest/copy, 303)", creations.One, creations.Two);
        }
        finally
        {
            Program.DeleteFolder(scripts);
            Program.DeleteFolder(data);
            await BenchPostgres.DropDatabaseAsync(connection);
        }
    }

    private static Task<string> WarmUpAsync(
        ServerProcess server, Func<ServerProcess, string[]> get, Func<ServerProcess, string[]> create, CancellationToken cancellationToken) =>
        WarmUp.UntilJitQuietAsync(server, async ct =>
        {
            await ReferenceBench.WrkAsync(get(server), TimeSpan.FromSeconds(1), ct);
            await ReferenceBench.WrkAsync(create(server), TimeSpan.FromSeconds(1), ct);
        }, cancellationToken);

    private static void Add(Report report, string name, List<double> one, List<(double First, double Second)> two)
    {
        static string N(double rate) => rate.ToString("N0", CultureInfo.InvariantCulture);
        var ratios = one.Select((rate, i) => (two[i].First + two[i].Second) / rate).ToList();
        report.Add($"Two servers on one PostgreSQL / one: {name}, wrk 16 connections", $"{Stats.Median(ratios):0.00}",
            $"per round {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"one process {string.Join(", ", one.Select(N))} /s; two processes {string.Join(", ", two.Select(t => $"{N(t.First + t.Second)} ({N(t.First)} + {N(t.Second)})"))} /s",
            "-", null, "-");
    }
}
