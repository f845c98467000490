using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>
/// A real Opus server process (Kestrel on 127.0.0.1, a free port) over its own data folder.
/// It can be killed and started again on the same port and data, as a crash and restart would.
/// </summary>
public sealed class OpusServer : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Dictionary<string, string> _settings;
    private readonly Dictionary<string, string> _environment;
    private Process? _process;
    // The server's Opus.Server.dll: the build's, or another (a published release folder's).
    private readonly string _assembly;

    private OpusServer(string dataPath, int port, Dictionary<string, string> settings, Dictionary<string, string> environment, string assembly)
    {
        _assembly = assembly;
        DataPath = dataPath;
        Port = port;
        _settings = settings;
        _environment = environment;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(120) };
    }

    /// <summary>The token of the admin account every test server creates on first start.</summary>
    public const string AdminToken = "opus_test_admin_token_0123456789abcdef";

    public string DataPath { get; }

    /// <summary>The PostgreSQL connection string when the server stores there; null for SQLite (opus.db in <see cref="DataPath"/>).</summary>
    public string? PostgresConnection =>
        _settings.TryGetValue("Opus:Storage:Provider", out var provider) && provider.StartsWith("Postgres", StringComparison.OrdinalIgnoreCase)
            ? _settings.GetValueOrDefault("Opus:Storage:ConnectionString")
            : null;

    // A database made for this server alone, dropped with it.
    private bool _ownDatabase;

    public int Port { get; }

    /// <summary>The server process's id (to read its memory use from /proc).</summary>
    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the server is not running");

    public Uri BaseUri { get; }

    /// <summary>A client that does not follow redirects, so tests see the 303s.</summary>
    public HttpClient Client { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>
    /// Starts a server; <paramref name="settings"/> are configuration keys such as "Opus:MaxConcurrentJobs",
    /// <paramref name="environment"/> extra variables of the server process.
    /// </summary>
    public static async Task<OpusServer> StartAsync(
        IDictionary<string, string>? settings = null, string? dataPath = null, IDictionary<string, string>? environment = null, string? serverAssembly = null)
    {
        dataPath ??= Directory.CreateTempSubdirectory("opus-test-").FullName;
        // Tests of UWS and execution run as the anonymous user (allowed every definition); the
        // authentication tests turn anonymous access off. The first admin gets a known token.
        var merged = new Dictionary<string, string>
        {
            ["Opus:Auth:AnonymousEnabled"] = "true",
            ["Opus:Auth:AnonymousRoles:0"] = "*",
            ["Opus:Auth:AdminToken"] = AdminToken,
            // The servers run as Production; the tests use the sample definitions (copy, fail, sleep).
            ["Opus:LoadSamples"] = "true",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            merged[key] = value;
        // OPUS_TEST_STORAGE=postgres (scripts/test.sh's second run): each server gets a database of its own.
        var ownDatabase = false;
        if (TestPostgres.IsDefaultStorage && !merged.ContainsKey("Opus:Storage:Provider"))
        {
            merged["Opus:Storage:Provider"] = "Postgres";
            merged["Opus:Storage:ConnectionString"] = await TestPostgres.CreateDatabaseAsync();
            ownDatabase = true;
        }

        var server = new OpusServer(dataPath, FreePort(),
            merged,
            new Dictionary<string, string>(environment ?? new Dictionary<string, string>()),
            serverAssembly ?? ServerAssembly);
        server._ownDatabase = ownDatabase;
        await server.StartProcessAsync();
        return server;
    }

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Opus.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Opus.sln not found above the test folder");
        }
    }

    public static string ServerAssembly
    {
        get
        {
            // The test project builds the server first (a project reference without the assembly).
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var path = Path.Combine(RepositoryRoot, "src", "Opus.Server", "bin", configuration, "net10.0", "Opus.Server.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build the server first", path);
        }
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DataPath,
        };
        start.ArgumentList.Add(_assembly);
        // A setting "urls" replaces the loopback address (a server the remote test cluster reaches); "{port}" in any value is the port.
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.ArgumentList.Add($"--urls={(_settings.GetValueOrDefault("urls") ?? "http://127.0.0.1:{port}").Replace("{port}", port, StringComparison.Ordinal)}");
        start.ArgumentList.Add($"--Opus:DataPath={DataPath}");
        start.ArgumentList.Add("--Logging:LogLevel:Default=Information");
        foreach (var (key, value) in _settings.Where(s => s.Key != "urls"))
            start.ArgumentList.Add($"--{key}={value.Replace("{port}", port, StringComparison.Ordinal)}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in _environment)
            start.Environment[name] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + Eventually.Bound;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                // Its last words may still be in the pipes: read them to the end first.
                await process.WaitForExitAsync();
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{Log}");
            }
            try
            {
                using var response = await Client.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the server did not answer within {Eventually.Bound.TotalSeconds:0} s:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>A client (no redirects) that authenticates as <paramref name="user"/> with HTTP Basic and <paramref name="token"/>.</summary>
    public HttpClient ClientFor(string user, string token)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")));
        return client;
    }

    /// <summary>A client authenticated as the admin.</summary>
    public HttpClient AdminClient() => ClientFor("admin", AdminToken);

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the server again on the same port and data folder.</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
        if (_ownDatabase && PostgresConnection is { } database)
            await TestPostgres.DropDatabaseAsync(database);
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // A killed job may still be writing into its directory; the temp folder is left behind.
        }
    }

    /// <summary>A TCP port free on 127.0.0.1 just now (bound to port 0, read, released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
