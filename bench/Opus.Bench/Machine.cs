using System.Runtime.InteropServices;

namespace Opus.Bench;

/// <summary>The machine the numbers come from (Linux: /proc).</summary>
public static class Machine
{
    public static IEnumerable<string> Describe()
    {
        yield return $"CPUs (nproc): {Environment.ProcessorCount}";
        yield return $"CPU model: {ProcField("/proc/cpuinfo", "model name") ?? "unknown"}";
        var memory = ProcField("/proc/meminfo", "MemTotal");
        yield return $"Memory: {(memory is null ? "unknown" : $"{long.Parse(memory.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0:0.0} GiB")}";
        yield return $"OS: {RuntimeInformation.OSDescription}; .NET {Environment.Version}";
        yield return $"Load average (1, 5, 15 min) at the end: {LoadAverage()} (other work on the machine skews the numbers; see 'other processes' in the details)";
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string? ProcField(string path, string name)
    {
        if (!File.Exists(path))
            return null;
        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == name)
                return line[(colon + 1)..].Trim();
        }

        return null;
    }
}
