using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Opus.Bench;

/// <summary>
/// A Release Opus server process on 127.0.0.1 (a free port) over a data folder, with an HttpClient
/// that does not follow redirects. Stopping sends SIGTERM (SIGKILL after 20 s).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    /// <summary>The first admin's API token, given to every server the bench starts; the bench works as that admin.</summary>
    public static string AdminToken { get; } = "bench_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The admin account's name (the default of Opus:Auth:AdminUserName); owner of the bench's jobs.</summary>
    public const string AdminUserName = "admin";

    private ServerProcess(Process process, int port)
    {
        _process = process;
        BaseUri = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 256,
            UseProxy = false,
            UseCookies = false,
        })
        {
            BaseAddress = BaseUri,
            Timeout = TimeSpan.FromSeconds(90),
        };
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public Uri BaseUri { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(180);

    /// <summary>Extra server arguments (--Key=Value) and environment variables (NAME=VALUE), from the bench's command line.</summary>
    public static List<string> ExtraArguments { get; } = [];

    public static List<string> ExtraEnvironment { get; } = [];

    /// <param name="arguments">More server arguments (--Key=Value) for this server only (a part's own definitions folder).</param>
    public static async Task<ServerProcess> StartAsync(string serverAssembly, string dataPath, CancellationToken cancellationToken, params string[] arguments)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataPath,
        };
        start.ArgumentList.Add(serverAssembly);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        start.ArgumentList.Add($"--Opus:DataPath={dataPath}");
        // Authentication stays on: every request carries the admin's API token (Bearer).
        start.ArgumentList.Add($"--Opus:Auth:AdminToken={AdminToken}");
        // The benchmarks use the sample definitions, which a Production server loads only when asked.
        start.ArgumentList.Add("--Opus:LoadSamples=true");
        // Logging off the hot path: only warnings and errors.
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.AspNetCore=Warning");
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.EntityFrameworkCore=Warning");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var argument in arguments.Concat(ExtraArguments))
            start.ArgumentList.Add(argument);
        foreach (var variable in ExtraEnvironment)
            start.Environment[variable[..variable.IndexOf('=')]] = variable[(variable.IndexOf('=') + 1)..];

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        // Generous: on a machine shared with builds, a start (migrations, the admin's account) took over a minute.
        while (deadline.Elapsed < StartBound)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
                throw new InvalidOperationException($"the server exited with {process.ExitCode}:\n{server.Log}");
            try
            {
                using var response = await server.Client.GetAsync("/health", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                    return server;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"the server did not answer within {StartBound.TotalSeconds:0} s:\n{server.Log}");
    }

    /// <summary>Peak and current resident set size in MiB (VmHWM and VmRSS of /proc/PID/status).</summary>
    public (double PeakMiB, double CurrentMiB) Memory()
    {
        double peak = 0, current = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                peak = Kibibytes(line) / 1024.0;
            else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                current = Kibibytes(line) / 1024.0;
        }

        return (peak, current);

        static long Kibibytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>User + system CPU time the server process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// CPU time of the server's child processes that ended and were reaped (cutime + cstime of /proc/PID/stat): a local
    /// job's whole process tree (setsid, limits, bwrap, runner, script), each level reaping the one below.
    /// </summary>
    public TimeSpan ChildrenCpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // After "pid (comm) ": cutime is field 16 and cstime field 17.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[13], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[14], System.Globalization.CultureInfo.InvariantCulture);
        // USER_HZ is 100 on Linux.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>
    /// CPU time of the server's threads whose name starts with <paramref name="threadName"/> (Linux
    /// truncates names to 15 characters: ".NET Tiered Com" is the JIT's background tier-up thread).
    /// </summary>
    public TimeSpan ThreadCpuTime(string threadName)
    {
        long ticks = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                if (!stat[(open + 1)..close].StartsWith(threadName, StringComparison.Ordinal))
                    continue;
                // After "pid (comm) ": state is field 3, utime field 14 and stime field 15.
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended meanwhile.
            }
        }

        // USER_HZ is 100 on Linux.
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>SIGTERM for a clean shutdown (the database is closed), SIGKILL if it takes longer than 20 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        Client.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
