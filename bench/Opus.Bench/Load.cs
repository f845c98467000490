using System.Diagnostics;

namespace Opus.Bench;

/// <summary>What a load loop did: requests that succeeded, failed, how long it took, and each request's latency.</summary>
public sealed record LoadResult(int Succeeded, int Failed, TimeSpan Elapsed, IReadOnlyList<double> LatenciesMs)
{
    public double PerSecond => Succeeded / Elapsed.TotalSeconds;

    public string Describe() =>
        $"{Succeeded:N0} ok{(Failed > 0 ? $", {Failed:N0} failed" : "")} in {Elapsed.TotalSeconds:0.0} s; latency p50 {Stats.Median(LatenciesMs):0.0} ms, p95 {Stats.P95(LatenciesMs):0.0} ms";
}

/// <summary>Closed-loop load: N clients, each sending its next request as soon as the previous one is answered.</summary>
public static class Load
{
    /// <summary>
    /// Runs <paramref name="request"/> (given a global request index; true when the answer was the
    /// expected one) from <paramref name="clients"/> concurrent clients until <paramref name="maxRequests"/>
    /// were sent or <paramref name="maxTime"/> has passed, whichever comes first.
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        int clients, int maxRequests, TimeSpan maxTime, Func<int, CancellationToken, Task<bool>> request, CancellationToken cancellationToken)
    {
        var next = -1;
        var succeeded = 0;
        var failed = 0;
        var latencies = new List<double>[clients];
        // Bounds a request that hangs: the loop never outlives maxTime by more than this grace.
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(maxTime + TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();

        async Task Client(int client)
        {
            var mine = latencies[client] = new List<double>();
            while (clock.Elapsed < maxTime)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= maxRequests)
                    break;
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await request(index, hardStop.Token);
                }
                catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    ok = false;
                }

                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (ok)
                    Interlocked.Increment(ref succeeded);
                else
                    Interlocked.Increment(ref failed);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Client(c), CancellationToken.None)));
        clock.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        return new LoadResult(succeeded, failed, clock.Elapsed, latencies.SelectMany(l => l ?? []).ToList());
    }
}

public static class Stats
{
    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 0.50);

    public static double P95(IReadOnlyCollection<double> values) => Percentile(values, 0.95);

    /// <summary>Nearest-rank percentile; NaN for no values.</summary>
    public static double Percentile(IReadOnlyCollection<double> values, double fraction)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
