using System.Diagnostics;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Cluster;

/// <summary>Opus:Slurm:Transport and its sections are checked at start: one line naming the key, exit code 2.</summary>
public sealed class TransportConfigurationTests
{
    [Theory]
    [InlineData("Opus:Slurm:Transport=pbs", "opus: Opus:Slurm:Transport: 'pbs' is not a transport; use local, ssh or rest")]
    [InlineData("Opus:Manager=slurm|Opus:Slurm:Transport=ssh", "opus: Opus:Slurm:Ssh:Host: required when Opus:Slurm:Transport is ssh")]
    [InlineData("Opus:Manager=slurm|Opus:Slurm:Transport=ssh|Opus:Slurm:Ssh:Host=login|Opus:Slurm:Ssh:User=opus|Opus:Slurm:Ssh:KeyFile=/etc/hostname|Opus:Slurm:Ssh:HostKeyFingerprint=abc",
        "opus: Opus:Slurm:Ssh:HostKeyFingerprint: 'abc' is not a SHA256 fingerprint")]
    [InlineData("Opus:Manager=slurm|Opus:Slurm:Transport=rest|Opus:Slurm:Rest:Url=http://login:6820|Opus:Slurm:Rest:User=opus",
        "opus: Opus:Slurm:Rest:Token: required when Opus:Slurm:Transport is rest")]
    // The nodes of a cluster elsewhere cannot call back on this machine's loopback address.
    [InlineData("Opus:Manager=slurm|Opus:Slurm:Transport=rest|Opus:Slurm:Rest:Url=http://login:6820|Opus:Slurm:Rest:User=opus|Opus:Slurm:Rest:Token=t",
        "opus: Opus:PublicUrl: the callback address http://127.0.0.1:")]
    [InlineData("Opus:PublicUrl=opus.example.org", "opus: Opus:PublicUrl: 'opus.example.org' is not an absolute http or https URL")]
    public async Task A_bad_transport_setting_stops_the_start_with_one_line_naming_the_key(string settings, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("opus-config-");
        try
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder.FullName };
            start.ArgumentList.Add(OpusServer.ServerAssembly);
            start.ArgumentList.Add($"--urls=http://127.0.0.1:{OpusServer.FreePort()}");
            start.ArgumentList.Add($"--Opus:DataPath={Path.Combine(folder.FullName, "data")}");
            foreach (var setting in settings.Split('|'))
                start.ArgumentList.Add($"--{setting}");
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(limit.Token);

            Assert.Equal(2, process.ExitCode);
            var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith(expected, line, StringComparison.Ordinal);
            Assert.Empty(await stdout);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
