using System.Diagnostics;
using System.Threading.Channels;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Client.Tests.Samp;

/// <summary>
/// samp_helper.py (a real astropy SAMP hub, or a real receiving client) as a process of its own, run with
/// Debian's python3 (which has python3-astropy); its standard output read line by line, waited on, never slept on.
/// It stops when its standard input closes.
/// </summary>
public sealed class SampProcess : IAsyncDisposable
{
    /// <summary>The Web Profile's port, fixed by the SAMP standard (and in the page's Content-Security-Policy).</summary>
    public const int WebProfilePort = 21012;

    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Samp", "samp_helper.py");
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _seen = [];

    private SampProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Take(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_seen)
                    _seen.Add("stderr: " + e.Data);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>A hub whose Web Profile accepts pages from <paramref name="acceptedOrigin"/> only; returned once it runs.</summary>
    public static Task<SampProcess> StartHubAsync(string lockFile, string acceptedOrigin) =>
        StartAsync(["hub", "--lockfile", lockFile, "--accept-origin", acceptedOrigin], "hub running");

    /// <summary>A client named <paramref name="name"/> subscribed to <paramref name="mtypes"/>; returned once registered.</summary>
    public static Task<SampProcess> StartClientAsync(string lockFile, string name, string folder, params string[] mtypes) =>
        StartAsync(["client", "--lockfile", lockFile, "--name", name, "--out", folder, .. mtypes], "registered");

    private static async Task<SampProcess> StartAsync(string[] arguments, string ready)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = new SampProcess(Process.Start(start)!);
        await process.NextLineAsync(line => line == ready, $"samp_helper.py {arguments[0]} to say '{ready}'");
        return process;
    }

    private void Take(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        lock (_seen)
            _seen.Add(line);
        _lines.Writer.TryWrite(line);
    }

    /// <summary>The next line of its output that matches; fails when the process ends first or after the bound.</summary>
    public async Task<string> NextLineAsync(Func<string, bool> matches, string what)
    {
        using var bound = new CancellationTokenSource(Eventually.Bound);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(bound.Token))
            {
                if (matches(line))
                    return line;
            }
        }
        catch (OperationCanceledException)
        {
        }

        throw new Xunit.Sdk.XunitException($"{what}: not seen; its output:\n{Output}");
    }

    public string Output
    {
        get
        {
            lock (_seen)
                return string.Join("\n", _seen);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
