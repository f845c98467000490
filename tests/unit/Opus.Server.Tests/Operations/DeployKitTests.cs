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
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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

    /// <summary>
    /// No registry is reachable here: scripts/local-base-image.sh makes a stand-in for the ASP.NET runtime image
    /// (Debian 12 with this machine's runtime), the Containerfile is built on it by podman (chroot isolation), and the
    /// image's files are started as its ENTRYPOINT, ENV and WORKDIR say, in a chroot as its user: podman run cannot
    /// start containers on these machines (crun may not set rlimits without CAP_SYS_RESOURCE).
    /// </summary>
    [Fact]
    public async Task The_Containerfile_builds_with_podman_into_an_image_whose_server_runs_jobs()
    {
        var parent = Directory.CreateTempSubdirectory("opus-image-").FullName;
        var tag = $"localhost/opus-test:{Guid.NewGuid():N}";
        string? mounted = null;
        string? container = null;
        Process? server = null;
        try
        {
            var publish = await RunAsync(Path.Combine(Root, "scripts", "publish.sh"), parent);
            Assert.True(publish.Code == 0, $"publish.sh: {publish.Error}");
            var baseImage = await RunAsync(Path.Combine(Root, "scripts", "local-base-image.sh"));
            Assert.True(baseImage.Code == 0, $"local-base-image.sh: {baseImage.Error}");
            var build = await RunAsync("podman", "build", "--isolation=chroot", "--build-arg", $"BASE_IMAGE={baseImage.Output.Trim()}",
                "-f", Path.Combine(Root, "deploy", "container", "Containerfile"), "-t", tag, parent);
            Assert.True(build.Code == 0, $"podman build: {build.Output}{build.Error}");

            var inspect = await RunAsync("podman", "image", "inspect", "--format", "{{json .Config}}", tag);
            var config = System.Text.Json.Nodes.JsonNode.Parse(inspect.Output)!;
            var entrypoint = config["Entrypoint"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
            Assert.Equal("app", config["User"]!.GetValue<string>());
            Assert.Equal("/var/lib/opus", config["WorkingDir"]!.GetValue<string>());

            container = (await RunAsync("podman", "create", tag)).Output.Trim();
            mounted = (await RunAsync("podman", "mount", container)).Output.Trim();
            Assert.True(Directory.Exists(Path.Combine(mounted, "opt", "opus")), "the release folder in the image");
            Assert.True(File.Exists(Path.Combine(mounted, "usr", "bin", "dot")), "Graphviz in the image");
            Assert.Equal(0, (await RunAsync("mount", "-t", "proc", "proc", Path.Combine(mounted, "proc"))).Code);

            var port = OpusServer.FreePort();
            var start = new ProcessStartInfo("chroot") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            // The image's user by its uid in the image's own /etc/passwd (chroot would look the name up on this machine).
            var user = File.ReadAllLines(Path.Combine(mounted, "etc", "passwd")).Select(l => l.Split(':')).Single(f => f[0] == config["User"]!.GetValue<string>());
            foreach (var argument in new[] { $"--userspec={user[2]}:{user[3]}", mounted, "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", config["WorkingDir"]!.GetValue<string>() })
                start.ArgumentList.Add(argument);
            foreach (var argument in entrypoint)
                start.ArgumentList.Add(argument);
            // Later arguments win: this test's port instead of 8080, anonymous use, the compose file's sandbox setting,
            // and the sample definitions (a production server loads them only when asked).
            foreach (var argument in new[] { $"--urls=http://127.0.0.1:{port}", "--Opus:Auth:AnonymousEnabled=true", "--Opus:Auth:AnonymousRoles:0=*", "--Opus:Local:Sandbox=none", "--Opus:LoadSamples=true" })
                start.ArgumentList.Add(argument);
            start.Environment.Clear();
            foreach (var variable in config["Env"]!.AsArray().Select(e => e!.GetValue<string>()))
                start.Environment[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];
            var log = new System.Text.StringBuilder();
            server = Process.Start(start)!;
            server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();

            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(server.HasExited, $"the image's server exited:\n{log}");
                try
                {
                    using var ready = await client.GetAsync("/health/ready");
                    return ready.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, status => status == HttpStatusCode.OK, "the image's server ready");
            var job = await client.CreateJobAsync("copy", ("text", "in the image"), ("PHASE", "RUN"));
            Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(job)).Phase());
            Assert.Equal("in the image", await client.GetStringAsync($"{job}/results/output"));
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();

            // The same image as compose.yaml's opus service runs it, on PostgreSQL.
            await ComposeService.RunAsync(mounted, $"{user[2]}:{user[3]}", config["WorkingDir"]!.GetValue<string>(),
                config["Env"]!.AsArray().Select(e => e!.GetValue<string>()), Version);
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill();
                await server.WaitForExitAsync();
            }

            if (mounted is not null)
                await RunAsync("umount", Path.Combine(mounted, "proc"));
            if (container is not null)
                await RunAsync("podman", "rm", "--force", container);
            await RunAsync("podman", "rmi", "--force", tag);
            Directory.Delete(parent, recursive: true);
        }
    }

    /// <summary>Runs a program to its end; its exit code and output (the deploy-kit tests' one way of running tools).</summary>
    internal static async Task<(int Code, string Output, string Error)> RunAsync(string program, params string[] arguments)
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
