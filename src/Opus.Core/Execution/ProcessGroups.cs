using System.Runtime.InteropServices;

namespace Opus.Core.Execution;

/// <summary>Signals to whole process groups (a job's runner is the leader of its own group).</summary>
public static partial class ProcessGroups
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>Sends a signal to every process of the group; false when the group is gone.</summary>
    public static bool Signal(int groupId, int signal) => groupId > 1 && Kill(-groupId, signal) == 0;

    /// <summary>True when a process of the group is still alive (signal 0 probes without sending).</summary>
    public static bool IsAlive(int groupId) => groupId > 1 && Kill(-groupId, 0) == 0;

    /// <summary>The process running the runner of this job directory, if any (a slow look through /proc).</summary>
    public static int? FindRunner(string jobDirectory)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && pid > 1 && IsRunnerOf(pid, jobDirectory))
                return pid;
        }

        return null;
    }

    /// <summary>True when the process runs the runner of this job directory (guards against reused PIDs after a restart).</summary>
    public static bool IsRunnerOf(int pid, string jobDirectory)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Split('\0').Contains(jobDirectory);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
