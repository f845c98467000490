using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Operations;

/// <summary>
/// docs/operations.md's install, walked as written where this machine allows: the release folder from
/// scripts/publish.sh, the service user, a PostgreSQL role and database of their own, the settings file of step 4,
/// and the server started as deploy/systemd/opus.service says (its user, ExecStart, WorkingDirectory, Environment,
/// EnvironmentFile, StateDirectory mode, UMask). There is no systemd to run the unit here (no PID 1 systemd), so the
/// test does what systemd would with the unit's own lines, /opt/opus and /var/lib/opus moved under a temporary folder.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InstallWalkTests
{
    private static string Root => OpusServer.RepositoryRoot;

    [Fact]
    public async Task The_documented_install_runs_as_the_units_user_on_PostgreSQL_and_serves_a_published_definition()
    {
        var unit = ReadUnit(Path.Combine(Root, "deploy", "systemd", "opus.service"));
        var user = unit["User"].Single();
        var top = Directory.CreateTempSubdirectory("opus-install-").FullName;
        File.SetUnixFileMode(top, (UnixFileMode)0b111_101_101);
        string Moved(string path) => path.Replace("/opt/opus", Path.Combine(top, "opt", "opus")).Replace("/var/lib/opus", Path.Combine(top, "var", "lib", "opus"))
            .Replace("/etc/opus", Path.Combine(top, "etc", "opus"));
        var createdUser = false;
        string? database = null;
        Process? server = null;
        var log = new StringBuilder();
        try
        {
            // Step 2: the release folder, root-owned, and the service user.
            var publish = await DeployKitTests.RunAsync(Path.Combine(Root, "scripts", "publish.sh"), Path.Combine(top, "artifacts"));
            Assert.True(publish.Code == 0, $"publish.sh: {publish.Error}");
            Directory.CreateDirectory(Path.Combine(top, "opt"));
            Assert.Equal(0, (await DeployKitTests.RunAsync("cp", "-r", publish.Output.Trim(), Moved("/opt/opus"))).Code);
            if ((await DeployKitTests.RunAsync("id", "-u", user)).Code != 0)
            {
                var add = await DeployKitTests.RunAsync("useradd", "--system", "--home-dir", "/var/lib/opus", "--shell", "/usr/sbin/nologin", user);
                Assert.True(add.Code == 0, $"useradd: {add.Error}");
                createdUser = true;
            }

            // Step 3: a database of its own, owned by the tests' PostgreSQL role (it may create databases, not roles).
            var owner = new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection);
            database = $"opus_install_{Guid.NewGuid():N}"[..30];
            await using (var postgres = new NpgsqlConnection(TestPostgres.AdminConnection))
            {
                await postgres.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {database} OWNER \"{owner.Username}\"", postgres);
                await command.ExecuteNonQueryAsync();
            }

            // Step 4: the settings file as the guide writes it, pointed at that database.
            var settings = DocumentedSettings().Select(line => line.StartsWith("Opus__Storage__ConnectionString=", StringComparison.Ordinal)
                ? $"Opus__Storage__ConnectionString=Host={owner.Host};Port={owner.Port};Database={database};Username={owner.Username};Password={owner.Password}"
                : line).ToList();
            Assert.Contains("Opus__Storage__Provider=Postgres", settings);
            var environmentFile = Moved(unit["EnvironmentFile"].Single().TrimStart('-'));
            Directory.CreateDirectory(Path.GetDirectoryName(environmentFile)!);
            await File.WriteAllLinesAsync(environmentFile, settings);
            Assert.Equal(0, (await DeployKitTests.RunAsync("chown", $"root:{user}", environmentFile)).Code);
            File.SetUnixFileMode(environmentFile, (UnixFileMode)0b110_100_000);

            // Step 5, as systemd would: StateDirectory made for the user with its mode, then ExecStart as the user
            // in WorkingDirectory with Environment and EnvironmentFile, under UMask.
            var data = Moved("/var/lib/opus");
            Directory.CreateDirectory(data);
            Assert.Equal(0, (await DeployKitTests.RunAsync("chown", $"{user}:{user}", data)).Code);
            File.SetUnixFileMode(data, (UnixFileMode)Convert.ToInt32(unit["StateDirectoryMode"].Single(), 8));
            Assert.Equal(Moved(unit["WorkingDirectory"].Single()), data);

            var port = OpusServer.FreePort();
            var start = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data };
            foreach (var argument in new[] { $"--reuid={user}", $"--regid={user}", "--init-groups", "--no-new-privs", "--", "/bin/sh", "-c", $"umask {unit["UMask"].Single()} && exec \"$@\"", "opus" })
                start.ArgumentList.Add(argument);
            foreach (var argument in unit["ExecStart"].Single().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                start.ArgumentList.Add(Moved(argument));
            // appsettings.json's Urls (127.0.0.1:8080) moved to a free port.
            start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
            start.Environment.Clear();
            // What systemd gives a service with User=: a fixed PATH and the user's identity and home.
            start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
            start.Environment["HOME"] = data;
            start.Environment["USER"] = start.Environment["LOGNAME"] = user;
            foreach (var assignment in unit["Environment"].SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Concat(settings))
                start.Environment[assignment[..assignment.IndexOf('=')]] = assignment[(assignment.IndexOf('=') + 1)..];
            server = Process.Start(start)!;
            server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();

            using var anonymous = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.HoldsAsync(async () =>
            {
                if (server.HasExited)
                    Assert.Fail($"the service exited ({server.ExitCode}):\n{log}");
                try
                {
                    using var ready = await anonymous.GetAsync("/health/ready");
                    return ready.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, status => status == HttpStatusCode.OK, "the service ready");

            // The first admin's token, written once into the data folder, readable by the service user only.
            var tokenFile = Path.Combine(data, "admin-token");
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(tokenFile));
            using var admin = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = anonymous.BaseAddress };
            admin.DefaultRequestHeaders.Authorization = new("Bearer", (await File.ReadAllTextAsync(tokenFile)).Trim());

            // Production: no samples. The guide's first definition, from the release folder, published by the admin.
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/rest/copy")).StatusCode);
            using (var definition = new StringContent(await File.ReadAllTextAsync(Path.Combine(Moved("/opt/opus"), "definitions", "copy.yaml")), Encoding.UTF8, "application/yaml"))
            using (var published = await admin.PutAsync("/jdl/copy?publish=true", definition))
                Assert.True(published.IsSuccessStatusCode, $"PUT /jdl/copy: {(int)published.StatusCode} {await published.Content.ReadAsStringAsync()}");

            // A job, run in the sandbox as the service user, its result back; the job is a row of the PostgreSQL database.
            var job = await admin.CreateJobAsync("copy", ("text", "installed"), ("PHASE", "RUN"));
            Assert.Equal("COMPLETED", (await admin.WaitForFinalAsync(job)).Phase());
            Assert.Equal("installed", await admin.GetStringAsync($"{job}/results/output"));
            await using (var owned = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection) { Database = database, Pooling = false }.ConnectionString))
            {
                await owned.OpenAsync();
                await using var count = new NpgsqlCommand("SELECT count(*) FROM jobs", owned);
                Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
            }

            // The data folder is its user's alone (0700), and nothing in it is writable by the group or open to others
            // (the unit's UMask, and the server's own umask 027).
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            var written = Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories).ToList();
            Assert.NotEmpty(written);
            Assert.All(written, path => Assert.True((File.GetUnixFileMode(path) & (UnixFileMode)0b000_010_111) == 0, $"{path} is writable by the group or open to others"));
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill();
                await server.WaitForExitAsync();
            }

            if (database is not null)
                await TestPostgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection) { Database = database }.ConnectionString);

            if (createdUser)
                await DeployKitTests.RunAsync("userdel", user);
            Directory.Delete(top, recursive: true);
        }
    }

    /// <summary>The settings of docs/operations.md's step 4: the lines of its first code block that assign Opus or Logging keys.</summary>
    private static List<string> DocumentedSettings()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "docs", "operations.md"));
        var step = guide[guide.IndexOf("**Settings**", StringComparison.Ordinal)..];
        var block = Regex.Match(step, "```sh\\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        return block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => Regex.IsMatch(line, "^(Opus|Logging)__\\w+=")).ToList();
    }

    /// <summary>The [Service] settings of a unit file: each key with its values in order (systemd allows repeating keys).</summary>
    private static Dictionary<string, List<string>> ReadUnit(string path)
    {
        var settings = new Dictionary<string, List<string>>();
        var section = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
                section = line;
            else if (section == "[Service]" && line.Length > 0 && !line.StartsWith('#') && line.IndexOf('=') is > 0 and var equals)
            {
                var key = line[..equals];
                if (!settings.TryGetValue(key, out var values))
                    settings[key] = values = [];
                values.Add(line[(equals + 1)..]);
            }
        }

        return settings;
    }

}
