using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Opus.Bench;

/// <summary>
/// WAIT for a thousand clients: 1,000 WAIT=60&amp;PHASE=PENDING requests blocked on one PENDING job, then on 1,000
/// different PENDING jobs (one each); once the server counts them all as waiting (its opus_uws_wait_clients
/// gauge), the job(s) are sent PHASE=ABORT (a phase change without a process). Wake-up = from the moment that request is sent to the moment each
/// WAIT answer has arrived; for 1,000 jobs the RUN requests go out one after the other, each timed on its own.
/// </summary>
public static partial class WaitManyBench
{
    private const int Waiters = 1_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        // Its own client: one connection per waiter, more than the shared client's 256.
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = Waiters + 16, UseProxy = false, UseCookies = false })
        {
            BaseAddress = server.BaseUri,
            Timeout = Bound,
        };
        client.DefaultRequestHeaders.Authorization = server.Client.DefaultRequestHeaders.Authorization;

        Progress.Say($"WAIT: {Waiters} waiters on one job");
        var one = await Uws.CreateAsync(client, "copy", [new("text", "wait many")], cancellationToken) ?? throw new InvalidOperationException("creation not answered 303");
        var single = await MeasureAsync(client, Enumerable.Repeat(one, Waiters).ToArray(), cancellationToken);
        report.Add($"WAIT wake-up, {Waiters:N0} waiters on one job (PENDING → ABORT)", $"p50 {Report.Ms(Stats.Median(single))}, p95 {Report.Ms(Stats.P95(single))}",
            $"{single.Count} woken; max {Report.Ms(single.DefaultIfEmpty(double.NaN).Max())}; from sending PHASE=ABORT to each WAIT answer's arrival", "p95 under 20 ms", null, "-");

        Progress.Say($"WAIT: {Waiters} waiters on {Waiters} jobs");
        var ids = new string[Waiters];
        for (var i = 0; i < Waiters; i++)
            ids[i] = await Uws.CreateAsync(client, "copy", [new("text", $"wait many {i}")], cancellationToken) ?? throw new InvalidOperationException("creation not answered 303");
        var many = await MeasureAsync(client, ids, cancellationToken);
        report.Add($"WAIT wake-up, {Waiters:N0} waiters on {Waiters:N0} jobs (one each; ABORT sent one job after another)", $"p50 {Report.Ms(Stats.Median(many))}, p95 {Report.Ms(Stats.P95(many))}",
            $"{many.Count} woken; max {Report.Ms(many.DefaultIfEmpty(double.NaN).Max())}; from sending that job's PHASE=ABORT to its WAIT answer's arrival", "p95 under 20 ms", null, "-");
    }

    /// <summary>Blocks one WAIT per entry of <paramref name="jobs"/>, aborts each distinct job in turn; wake-ups in ms.</summary>
    private static async Task<List<double>> MeasureAsync(HttpClient client, string[] jobs, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(Bound);
        var clock = Stopwatch.StartNew();
        var sent = new Dictionary<string, double>(StringComparer.Ordinal);
        var before = await WaitingAsync(client, bound.Token);
        var waits = jobs.Select(async id =>
        {
            using var response = await client.GetAsync($"/rest/copy/{id}?WAIT=60&PHASE=PENDING", bound.Token);
            await response.Content.ReadAsByteArrayAsync(bound.Token);
            var arrived = clock.Elapsed.TotalMilliseconds;
            return (Id: id, Arrived: response.StatusCode == HttpStatusCode.OK ? arrived : double.NaN);
        }).ToList();

        // Every waiter parked in the server before anything changes (a look every 20 ms, bounded).
        while (await WaitingAsync(client, bound.Token) < before + jobs.Length)
            await Task.Delay(20, bound.Token);

        foreach (var id in jobs.Distinct())
        {
            lock (sent)
                sent[id] = clock.Elapsed.TotalMilliseconds;
            using var abort = new FormUrlEncodedContent([new("PHASE", "ABORT")]);
            using var answer = await client.PostAsync($"/rest/copy/{id}/phase", abort, bound.Token);
            if (answer.StatusCode != HttpStatusCode.SeeOther)
                throw new InvalidOperationException("PHASE=ABORT not answered 303");
        }

        var answers = await Task.WhenAll(waits);
        return answers.Where(a => !double.IsNaN(a.Arrived)).Select(a => a.Arrived - sent[a.Id]).ToList();
    }

    /// <summary>The server's count of clients blocked in WAIT (its Prometheus gauge).</summary>
    private static async Task<double> WaitingAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var text = await client.GetStringAsync("/metrics", cancellationToken);
        return WaitClients().Match(text) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^opus_uws_wait_clients(?:\{[^}]*\})? ([0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex WaitClients();
}
