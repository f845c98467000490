using System.Diagnostics;

namespace Opus.Bench;

/// <summary>CPU time used by the server and by this client process over a load loop: where the two cores went.</summary>
public sealed class CpuMeter
{
    private readonly ServerProcess _server;
    private readonly TimeSpan _server0;
    private readonly TimeSpan _client0;
    private readonly long _started;
    private readonly double _busy0;

    private CpuMeter(ServerProcess server)
    {
        _server = server;
        _server0 = server.CpuTime();
        _client0 = Process.GetCurrentProcess().TotalProcessorTime;
        _busy0 = MachineBusySeconds();
        _started = Stopwatch.GetTimestamp();
    }

    public static CpuMeter Start(ServerProcess server) => new(server);

    /// <summary>"CPU per request: server 0.41 ms (1.3 cores), client 0.20 ms (0.6 cores); other processes 0.05 cores".</summary>
    public string Stop(int requests)
    {
        var wall = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
        var server = (_server.CpuTime() - _server0).TotalMilliseconds;
        var client = (Process.GetCurrentProcess().TotalProcessorTime - _client0).TotalMilliseconds;
        var others = Math.Max(0, (MachineBusySeconds() - _busy0) * 1000 - server - client);
        var n = Math.Max(1, requests);
        return $"CPU per request: server {server / n:0.000} ms ({server / wall:0.00} cores), client {client / n:0.000} ms ({client / wall:0.00} cores); " +
            $"other processes {others / wall:0.00} cores";
    }

    /// <summary>CPU seconds all processors spent not idle since boot (/proc/stat, USER_HZ = 100).</summary>
    public static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        var ticks = fields.Skip(1).Take(8).Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (ticks.Sum() - ticks[3] - ticks[4]) / 100.0;
    }
}
