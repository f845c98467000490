using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Operations;

/// <summary>
/// deploy/ and scripts/publish.sh, each exercised with the real tool: systemd-analyze for the unit, the published
/// release folder started and used. Containers cannot run here (no image registry): the Containerfile is checked
/// against the folder it copies.
/// </summary>
public sealed class DeployKitTests
{
    private static string Root => OpusServer.RepositoryRoot;

    private static string Version => Regex.Match(File.ReadAllText(Path.Combine(Root, "Directory.Build.props")), "<OpusVersion>(.+?)</OpusVersion>").Groups[1].Value;

    [Fact]
    public async Task The_systemd_unit_verifies_and_is_hardened()
    {
        var unit = Path.Combine(Root, "deploy", "systemd", "opus.service");
        var verify = await RunAsync("systemd-analyze", "verify", unit);
        Assert.True(verify.Code == 0 && verify.Error.Trim().Length == 0, $"systemd-analyze verify: {verify.Code} {verify.Error}");

        // systemd's own exposure score (0 safest, 10 none): at most 5.0, "MEDIUM".
        var security = await RunAsync("systemd-analyze", "security", "--offline=true", "--threshold=50", unit);
        Assert.True(security.Code == 0, $"exposure above 5.0:\n{security.Output}{security.Error}");
        var text = File.ReadAllText(unit);
        foreach (var line in new[] { "User=opus", "ProtectSystem=strict", "ReadWritePaths=/var/lib/opus", "NoNewPrivileges=yes", "ExecStart=/usr/bin/dotnet /opt/opus/Opus.Server.dll" })
            Assert.Matches($"(?m)^{Regex.Escape(line)}", text);
    }

    [Fact]
    public async Task The_published_release_folder_holds_linux_x64_only_and_serves_jobs()
    {
        var parent = Directory.CreateTempSubdirectory("opus-publish-").FullName;
        try
        {
            var publish = await RunAsync(Path.Combine(Root, "scripts", "publish.sh"), parent);
            Assert.True(publish.Code == 0, $"publish.sh: {publish.Code}\n{publish.Error}");
            var folder = publish.Output.Trim();
            Assert.Equal(Path.Combine(parent, $"opus-{Version}-linux-x64"), folder);

            // Framework-dependent (no runtime of its own), SQLite's native library for linux-x64 and for no other platform.
            Assert.True(File.Exists(Path.Combine(folder, "libe_sqlite3.so")), "libe_sqlite3.so");
            Assert.False(Directory.Exists(Path.Combine(folder, "runtimes")), "a runtimes/ folder of other platforms");
            Assert.DoesNotContain(Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories), f => f.EndsWith(".dylib") || Path.GetFileName(f) == "e_sqlite3.dll");
            Assert.False(File.Exists(Path.Combine(folder, "System.Private.CoreLib.dll")), "a self-contained runtime");
            foreach (var shipped in new[] { "LICENSE", "appsettings.json", "docs/operations.md", "deploy/systemd/opus.service", "deploy/container/Containerfile", "wwwroot" })
                Assert.True(File.Exists(Path.Combine(folder, shipped)) || Directory.Exists(Path.Combine(folder, shipped)), shipped);

            // The Containerfile copies exactly this folder.
            var containerfile = File.ReadAllText(Path.Combine(Root, "deploy", "container", "Containerfile"));
            Assert.Contains($"ARG OPUS_RELEASE={Path.GetFileName(folder)}\n", containerfile);
            Assert.Contains("COPY ${OPUS_RELEASE}/ /opt/opus/", containerfile);
            Assert.Matches(@"(?m)^ARG BASE_IMAGE=mcr\.microsoft\.com/dotnet/aspnet:10\.0$", containerfile);

            // Started as the unit and the image start it (dotnet Opus.Server.dll), it runs a job to its result.
            await using var server = await OpusServer.StartAsync(serverAssembly: Path.Combine(folder, "Opus.Server.dll"));
            var job = await server.Client.CreateJobAsync("copy", ("text", "published"), ("PHASE", "RUN"));
            var done = await server.Client.WaitForFinalAsync(job);
            Assert.Equal("COMPLETED", done.Phase());
            Assert.Equal("published", await server.Client.GetStringAsync($"{job}/results/output"));
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
