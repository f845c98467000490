using System.Diagnostics;
using System.Text;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>A live process of a job, as /proc shows it.</summary>
public sealed record JobProcess(int Pid, string Command)
{
    public override string ToString() => $"{Pid} ({Command})";
}

/// <summary>
/// Finds a job's processes through /proc: the runner by its job directory argument (its own
/// environment is the small one LocalManager gives; the variables it exports later do not show in
/// /proc/&lt;pid&gt;/environ), everything the runner starts by OPUS_JOB_ID in its environment.
/// </summary>
public static class JobProcesses
{
    public static IReadOnlyList<JobProcess> Of(string jobId, string jobDirectory)
    {
        var marker = Encoding.UTF8.GetBytes($"OPUS_JOB_ID={jobId}");
        var found = new List<JobProcess>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                // A zombie has exited already: it holds no resources and only waits for its parent.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                    continue;
                var environment = File.ReadAllBytes(Path.Combine(dir, "environ"));
                var arguments = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (HasEntry(environment, marker) || arguments.Contains(jobDirectory))
                    found.Add(new JobProcess(pid, File.ReadAllText(Path.Combine(dir, "comm")).Trim()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's process.
            }
        }

        return found;
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the job's processes or the time is up; returns the last look.</summary>
    public static async Task<IReadOnlyList<JobProcess>> WaitUntilAsync(
        string jobId, string jobDirectory, Func<IReadOnlyList<JobProcess>, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var processes = Of(jobId, jobDirectory);
            if (condition(processes) || clock.Elapsed > timeout)
                return processes;
            await Task.Delay(100);
        }
    }

    /// <summary>Asserts that no process of the job is left within <paramref name="timeout"/>.</summary>
    public static async Task AssertNoneLeftAsync(string jobId, string jobDirectory, TimeSpan timeout)
    {
        var left = await WaitUntilAsync(jobId, jobDirectory, p => p.Count == 0, timeout);
        Assert.True(left.Count == 0, $"job {jobId} still has processes after {timeout.TotalSeconds} s: {string.Join(", ", left)}");
    }

    /// <summary>Test clean-up: SIGKILL whatever the job still runs.</summary>
    public static void Kill(string jobId, string jobDirectory)
    {
        foreach (var process in Of(jobId, jobDirectory))
        {
            try
            {
                using var handle = Process.GetProcessById(process.Pid);
                handle.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    private static bool HasEntry(byte[] environment, byte[] entry)
    {
        var span = environment.AsSpan();
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)0);
            var current = end < 0 ? span : span[..end];
            if (current.SequenceEqual(entry))
                return true;
            if (end < 0)
                break;
            span = span[(end + 1)..];
        }

        return false;
    }
}
