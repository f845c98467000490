using System.Runtime.InteropServices;

namespace Opus.Core;

/// <summary>
/// The data folder is the server's alone: folders 0700, files 0600, and the server's umask 027 so that nothing
/// it creates (SQLite's journal, a library's temporary file) is ever writable, or readable, by others.
/// </summary>
public static partial class PrivateFiles
{
    public const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // 027 in octal: no write for the group, nothing for others.
    private const uint ServerUmask = 23;

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint SetUmask(uint mask);

    /// <summary>Sets the process's umask to 027; called first thing at start.</summary>
    public static void RestrictUmask()
    {
        if (!OperatingSystem.IsWindows())
            SetUmask(ServerUmask);
    }

    /// <summary>Creates the folder 0700, or makes an existing one (from an older server) 0700.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, Folder);
        System.IO.File.SetUnixFileMode(path, Folder);
    }

    /// <summary>Makes an existing file 0600; nothing when it does not exist.</summary>
    public static void RestrictFile(string path)
    {
        if (!OperatingSystem.IsWindows() && System.IO.File.Exists(path))
            System.IO.File.SetUnixFileMode(path, File);
    }
}
