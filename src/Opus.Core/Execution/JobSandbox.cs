using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Opus.Core.Execution;

/// <summary>
/// The bubblewrap sandbox of a local job: the system read-only, the data folder and the server's own folders
/// hidden under empty tmpfs, only the job's folder bound back read-write (its inputs read-only), private /tmp, /proc, /dev, PID and IPC
/// namespaces (so no other process is visible, and none outlives the sandbox), and no network when the
/// definition says network: none. A root server runs bwrap itself (it can see its 0700 data folder) and drops
/// the job to <see cref="LocalOptions.SandboxUser"/> with setpriv inside, after chowning the job's folder to it;
/// any other server runs it in a user namespace under its own uid.
/// </summary>
public static partial class JobSandbox
{
    /// <summary>The marker <see cref="JobWorkspace"/> writes when the definition asks for no network.</summary>
    public const string NoNetworkMarker = "network.none";

    private static readonly Lazy<string?> Found = new(() => OnPath("bwrap"));

    /// <summary>The path of bwrap, or null when it is not installed.</summary>
    public static string? Bubblewrap => Found.Value;

    public static bool ServerIsRoot => !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, int uid, int gid);

    /// <summary>
    /// The command that runs <paramref name="runner"/> for the job folder <paramref name="directory"/> in the sandbox
    /// (after <c>setsid</c>); <paramref name="hidden"/> are the server's folders the job must not see.
    /// </summary>
    public static void AddCommand(ProcessStartInfo start, LocalOptions options, string directory, string runner, IEnumerable<string> hidden)
    {
        var args = start.ArgumentList;
        args.Add(Bubblewrap ?? throw new InvalidOperationException("bwrap is not installed"));
        Add(args, "--ro-bind", "/", "/");
        Add(args, "--dev", "/dev");
        Add(args, "--proc", "/proc");
        Add(args, "--tmpfs", "/tmp");
        // Ancestors first, so a hidden folder inside another is created on the empty tmpfs above it.
        foreach (var folder in hidden.Select(Path.TrimEndingDirectorySeparator).Where(Directory.Exists).Distinct().OrderBy(f => f.Length))
            Add(args, "--tmpfs", folder);
        // bwrap would create the job folder's parent as private as the real one (0700): the job could not reach its folder.
        Add(args, "--dir", Path.GetDirectoryName(directory)!);
        Add(args, "--bind", directory, directory);
        // Its inputs read-only: a script that writes to one fails, and the copy stays what the job was given.
        var inputs = Path.Combine(directory, JobWorkspace.InputsFolder);
        if (Directory.Exists(inputs))
            Add(args, "--ro-bind", inputs, inputs);
        Add(args, "--chdir", directory);
        args.Add("--unshare-pid");
        args.Add("--unshare-ipc");
        args.Add("--unshare-uts");
        // The runner is the PID namespace's init: when it ends (done, aborted, killed) the kernel kills every process
        // left in the namespace, even one in a session of its own. (bwrap's own init would wait for them all.)
        // No --die-with-parent: runners outlive a server restart.
        args.Add("--as-pid-1");
        if (File.Exists(Path.Combine(directory, NoNetworkMarker)))
            args.Add("--unshare-net");
        if (!ServerIsRoot)
            args.Add("--unshare-user");
        args.Add("--");
        if (ServerIsRoot)
        {
            var uid = options.SandboxUser.ToString(System.Globalization.CultureInfo.InvariantCulture);
            args.Add("setpriv");
            Add(args, $"--reuid={uid}", $"--regid={uid}", "--clear-groups");
            args.Add("--no-new-privs");
        }

        Add(args, "bash", runner, directory);
    }

    /// <summary>A root server gives the job's folder (written by the server) to the sandbox's user, so the job can write there.</summary>
    public static void GiveFolder(LocalOptions options, string directory)
    {
        if (!ServerIsRoot)
            return;
        var uid = options.SandboxUser;
        Chown(directory, uid);
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            Chown(entry, uid);
    }

    private static void Chown(string path, int uid)
    {
        if (LChown(path, uid, uid) != 0)
            throw new IOException($"could not give {path} to uid {uid} (errno {Marshal.GetLastPInvokeError()})");
    }

    private static void Add(IList<string> args, params string[] values)
    {
        foreach (var value in values)
            args.Add(value);
    }

    private static string? OnPath(string name)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } p ? p : "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
