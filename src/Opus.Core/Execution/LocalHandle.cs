using System.Globalization;

namespace Opus.Core.Execution;

/// <summary>
/// The local manager's <see cref="Jobs.Job.ManagerJobId"/>: "&lt;process group&gt; &lt;owner&gt;", or
/// "- &lt;owner&gt;" while the owner is starting the runner. The owner is the server process that
/// claimed the job ("host/boot/pid/start time"), so that several server processes on one database
/// can tell their own jobs from the jobs of a live neighbour and from those of a process that died.
/// </summary>
public sealed record LocalHandle(int? Group, string? Owner)
{
    public static LocalHandle? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        var parts = value.Split(' ', 2);
        int? group = int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null;
        return new LocalHandle(group, parts.Length > 1 ? parts[1] : null);
    }

    public static string Starting(string owner) => $"- {owner}";

    public static string Running(int group, string owner) => $"{group.ToString(CultureInfo.InvariantCulture)} {owner}";
}

/// <summary>Who a server process is, in a form another process on the same machine can check for life.</summary>
public static class ProcessIdentity
{
    public enum Liveness
    {
        Alive,
        Dead,

        /// <summary>A process of another machine: its jobs are not this machine's to touch.</summary>
        Elsewhere,
    }

    private static readonly Lazy<string> Host = new(() =>
    {
        var name = Environment.MachineName;
        return name.Length > 16 ? name[..16] : name;
    });

    private static readonly Lazy<string> Boot = new(() =>
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim().Replace("-", "", StringComparison.Ordinal)[..8];
        }
        catch (IOException)
        {
            return "noboot";
        }
    });

    /// <summary>This process: "host/boot/pid/start", at most 48 characters.</summary>
    public static string Current { get; } = Describe(Environment.ProcessId) ?? $"{Host.Value}/{Boot.Value}/{Environment.ProcessId}/0";

    public static Liveness Check(string identity)
    {
        var parts = identity.Split('/');
        if (parts.Length != 4 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            return Liveness.Dead;
        if (parts[0] != Host.Value)
            return Liveness.Elsewhere;
        // Another boot of this machine: every process of that boot is gone.
        return parts[1] == Boot.Value && Describe(pid) == identity ? Liveness.Alive : Liveness.Dead;
    }

    /// <summary>The identity of a live process (its start time guards against a reused pid); null when it is gone.</summary>
    private static string? Describe(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Field 22 (start time) counted after the command name, which may contain spaces and ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return $"{Host.Value}/{Boot.Value}/{pid.ToString(CultureInfo.InvariantCulture)}/{fields[19]}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
