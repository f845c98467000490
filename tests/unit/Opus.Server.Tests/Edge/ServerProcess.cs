using System.Diagnostics;
using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Edge;

/// <summary>
/// An Opus server process started with exactly the given arguments (its own addresses, certificates), for the
/// tests whose server is not the plain http one of <see cref="OpusServer"/>: TLS, or a start that must fail.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private ServerProcess(Process process) => _process = process;

    public string Output => Read(_output);

    public string Errors => Read(_errors);

    public bool HasExited => _process.HasExited;

    public static ServerProcess Start(string dataPath, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataPath,
        };
        start.ArgumentList.Add(OpusServer.ServerAssembly);
        start.ArgumentList.Add($"--Opus:DataPath={dataPath}");
        start.ArgumentList.Add($"--Opus:Auth:AdminToken={OpusServer.AdminToken}");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => Append(server._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(server._errors, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The exit code, once the process has ended and its output is read to the end.</summary>
    public async Task<int> ExitCodeAsync()
    {
        using var bound = new CancellationTokenSource(Eventually.Bound);
        await _process.WaitForExitAsync(bound.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="look"/> sees what <paramref name="condition"/> wants; fails at once if the server exits.</summary>
    public Task<T> UntilAsync<T>(Func<Task<T>> look, Func<T, bool> condition, string what) =>
        Eventually.HoldsAsync(look, seen => _process.HasExited
            ? throw new Xunit.Sdk.XunitException($"{what}: the server exited with {_process.ExitCode}:\n{Output}\n{Errors}")
            : condition(seen), what);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
            return;
        lock (text)
            text.AppendLine(line);
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
            return text.ToString();
    }
}
