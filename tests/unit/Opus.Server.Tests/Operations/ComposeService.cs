using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using Opus.Server.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Opus.Server.Tests.Operations;

/// <summary>
/// deploy/container/compose.yaml's opus service, run as compose would run it where containers cannot run: the
/// built image's files (mounted by podman) in a chroot as the image's user, in a network namespace of its own (the
/// service listens on 0.0.0.0:8080, as in its container), with the compose file's entrypoint, environment (after
/// compose's ${VAR:-default} and $$ rules) and secret file, and the name of its postgres service resolving to this
/// machine's test PostgreSQL (through a forwarder on the port compose's PostgreSQL would listen on).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class ComposeService
{
    public static async Task RunAsync(string mounted, string userSpec, string workingDirectory, IEnumerable<string> imageEnvironment, string version)
    {
        var compose = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(OpusServer.RepositoryRoot, "deploy", "container", "compose.yaml")))
            compose.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)compose.Documents[0].RootNode)["services"];
        var opus = (YamlMappingNode)services["opus"];
        var postgres = (YamlMappingNode)services["postgres"];

        // The service runs the image the Containerfile's documented build makes, with its data in the image's data folder.
        Assert.Equal($"localhost/opus:{version}", Scalar(opus, "image"));
        Assert.Contains($"opus-data:{workingDirectory}", Sequence(opus, "volumes"));
        Assert.Contains("127.0.0.1:8080:8080", Sequence(opus, "ports"));
        var database = Scalar((YamlMappingNode)postgres["environment"], "POSTGRES_DB");
        var role = Scalar((YamlMappingNode)postgres["environment"], "POSTGRES_USER");
        var secret = Assert.Single(Sequence(opus, "secrets"));

        // Its own network: a veth pair between this machine and the namespace (a /30 of a test range).
        var suffix = Random.Shared.Next(1, 60);
        var name = $"opus-compose-{suffix}";
        var (hostAddress, serviceAddress) = ($"10.78.{suffix}.1", $"10.78.{suffix}.2");
        var hostLink = $"ocmp{suffix}h";
        var postgresAdmin = new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection);
        var token = OpusServer.AdminToken;
        Process? server = null;
        var log = new StringBuilder();
        using var stop = new CancellationTokenSource();
        TcpListener? forwarder = null;
        try
        {
            foreach (var command in new[]
            {
                $"ip netns add {name}",
                $"ip link add {hostLink} type veth peer name eth0 netns {name}",
                $"ip addr add {hostAddress}/30 dev {hostLink}",
                $"ip link set {hostLink} up",
                $"ip -n {name} addr add {serviceAddress}/30 dev eth0",
                $"ip -n {name} link set eth0 up",
                $"ip -n {name} link set lo up",
            })
            {
                var words = command.Split(' ');
                var run = await DeployKitTests.RunAsync(words[0], words[1..]);
                Assert.True(run.Code == 0, $"{command}: {run.Error}");
            }

            // compose's postgres service: its database, owned by its user, whose password is the secret file's. The tests'
            // PostgreSQL role is that user (opus); it may create databases, not roles.
            Assert.True(role == postgresAdmin.Username, $"compose's POSTGRES_USER {role} is not the tests' PostgreSQL role {postgresAdmin.Username}");
            var password = postgresAdmin.Password!;
            await using (var admin = new NpgsqlConnection(TestPostgres.AdminConnection))
            {
                await admin.OpenAsync();
                foreach (var sql in new[] { $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", $"CREATE DATABASE \"{database}\" OWNER \"{role}\"" })
                    await using (var command = new NpgsqlCommand(sql, admin))
                        await command.ExecuteNonQueryAsync();
            }

            forwarder = new TcpListener(IPAddress.Parse(hostAddress), 5432);
            forwarder.Start();
            _ = ForwardAsync(forwarder, postgresAdmin.Host!, postgresAdmin.Port, stop.Token);
            await File.AppendAllTextAsync(Path.Combine(mounted, "etc", "hosts"), $"{hostAddress} postgres\n");
            var secrets = Directory.CreateDirectory(Path.Combine(mounted, "run", "secrets")).FullName;
            await File.WriteAllTextAsync(Path.Combine(secrets, secret), password);
            Assert.Equal(0, (await DeployKitTests.RunAsync("chown", userSpec, Path.Combine(secrets, secret))).Code);
            File.SetUnixFileMode(Path.Combine(secrets, secret), UnixFileMode.UserRead);

            var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { $"--net=/var/run/netns/{name}", "chroot", $"--userspec={userSpec}", mounted, "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", workingDirectory })
                start.ArgumentList.Add(argument);
            var variables = new Dictionary<string, string> { ["OPUS_ADMIN_TOKEN"] = token };
            foreach (var argument in Sequence(opus, "entrypoint"))
                start.ArgumentList.Add(Interpolate(argument, variables));
            start.Environment.Clear();
            foreach (var variable in imageEnvironment)
                start.Environment[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];
            foreach (var (key, value) in ((YamlMappingNode)opus["environment"]).Children)
                start.Environment[((YamlScalarNode)key).Value!] = Interpolate(((YamlScalarNode)value).Value!, variables);
            server = Process.Start(start)!;
            server.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();

            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{serviceAddress}:8080") };
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            await Eventually.HoldsAsync(async () =>
            {
                Assert.False(server.HasExited, $"the compose service exited:\n{log}");
                try
                {
                    using var ready = await client.GetAsync("/health/ready");
                    return ready.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return HttpStatusCode.ServiceUnavailable;
                }
            }, status => status == HttpStatusCode.OK, "the compose service ready");

            // The admin of OPUS_ADMIN_TOKEN publishes a definition; a job runs; its row is in compose's database.
            using (var definition = new StringContent(await File.ReadAllTextAsync(Path.Combine(mounted, "opt", "opus", "definitions", "copy.yaml")), Encoding.UTF8, "application/yaml"))
            using (var published = await client.PutAsync("/jdl/copy?publish=true", definition))
                Assert.True(published.IsSuccessStatusCode, $"PUT /jdl/copy: {(int)published.StatusCode} {await published.Content.ReadAsStringAsync()}");
            var job = await client.CreateJobAsync("copy", ("text", "composed"), ("PHASE", "RUN"));
            Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(job)).Phase());
            Assert.Equal("composed", await client.GetStringAsync($"{job}/results/output"));
            await using var stored = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection) { Database = database, Pooling = false }.ConnectionString);
            await stored.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM jobs", stored);
            Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
            // JSON logs, as the compose file asks.
            Assert.Matches("(?m)^\\{\"EventId\"", log.ToString());
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            await stop.CancelAsync();
            forwarder?.Stop();
            await DeployKitTests.RunAsync("ip", "link", "del", hostLink);
            await DeployKitTests.RunAsync("ip", "netns", "del", name);
            await TestPostgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(TestPostgres.AdminConnection) { Database = database }.ConnectionString);
        }
    }

    /// <summary>compose's interpolation: ${NAME:-default} and ${NAME} from <paramref name="variables"/>, $$ for a literal $.</summary>
    private static string Interpolate(string text, IReadOnlyDictionary<string, string> variables) =>
        Regex.Replace(text, @"\$\$|\$\{(\w+)(?::-([^}]*))?\}", match => match.Value == "$$" ? "$"
            : variables.TryGetValue(match.Groups[1].Value, out var value) && value.Length > 0 ? value : match.Groups[2].Value);

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    private static List<string> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Children.Select(child => ((YamlScalarNode)child).Value!).ToList();

    /// <summary>Passes each connection on to PostgreSQL, both ways, until the test ends.</summary>
    private static async Task ForwardAsync(TcpListener listener, string host, int port, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient accepted;
            try
            {
                accepted = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var incoming = accepted;
                using var outgoing = new TcpClient();
                try
                {
                    await outgoing.ConnectAsync(host, port, stop);
                    await Task.WhenAny(incoming.GetStream().CopyToAsync(outgoing.GetStream(), stop), outgoing.GetStream().CopyToAsync(incoming.GetStream(), stop));
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
                {
                    // The test ended or a side closed: the connection ends with it.
                }
            }, stop);
        }
    }

}
