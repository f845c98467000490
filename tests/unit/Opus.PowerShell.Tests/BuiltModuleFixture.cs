using System.Diagnostics;

namespace Opus.PowerShell.Tests;

/// <summary>scripts/build-module.sh, run once into a temporary folder: the layout it produces and the load context over it.</summary>
public sealed class BuiltModuleFixture : IDisposable
{
    public BuiltModuleFixture()
    {
        Folder = Path.Combine(Directory.CreateTempSubdirectory("opus-module-").FullName, "Opus");
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "build-module.sh"));
        start.ArgumentList.Add(configuration);
        start.Environment["OPUS_MODULE_OUT"] = Folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("build-module.sh did not finish in 8 minutes");
        }

        Log = output.Result + errors.Result;
        ExitCode = process.ExitCode;
    }

    /// <summary>The folder holding Opus.sln, above the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Opus.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Opus.sln not found");
        }
    }

    public string Folder { get; }

    public string Log { get; }

    public int ExitCode { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(Folder)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
