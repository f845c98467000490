using System.Diagnostics;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// A tmpfs of a few MiB mounted for one test (the tests run as root), so that a server's data folder
/// can be filled to the last byte and freed again without touching the machine's own disks.
/// </summary>
public sealed class SmallDisk : IAsyncDisposable
{
    private readonly string _filler;

    private SmallDisk(string path)
    {
        Path = path;
        _filler = System.IO.Path.Combine(path, "filler.bin");
    }

    public string Path { get; }

    public long AvailableBytes => new DriveInfo(Path).AvailableFreeSpace;

    public static async Task<SmallDisk> MountAsync(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("opus-small-disk-").FullName;
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"this test mounts a {megabytes} MiB tmpfs, which needs root (CAP_SYS_ADMIN); mount said: {output}");
        }

        return new SmallDisk(path);
    }

    /// <summary>Writes one file until the disk has at most <paramref name="leaveBytes"/> free (0: until the system says ENOSPC).</summary>
    public void Fill(long leaveBytes = 0)
    {
        var chunk = new byte[1 << 20];
        using var file = new FileStream(_filler, FileMode.Append, FileAccess.Write);
        try
        {
            while (AvailableBytes > leaveBytes)
            {
                file.Write(chunk, 0, (int)Math.Min(chunk.Length, leaveBytes == 0 ? chunk.Length : AvailableBytes - leaveBytes));
                file.Flush();
            }
        }
        catch (IOException) when (leaveBytes == 0)
        {
            // Full: what was asked.
        }

        Assert.True(leaveBytes > 0 || AvailableBytes == 0, $"{AvailableBytes} bytes still free");
    }

    public void Free() => File.Delete(_filler);

    public async ValueTask DisposeAsync()
    {
        // Lazily: a job process that is still ending keeps nothing mounted.
        await RunAsync("umount", "--lazy", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output + await errors).Trim());
    }
}
