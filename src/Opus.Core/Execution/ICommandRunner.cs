using System.Diagnostics;

namespace Opus.Core.Execution;

/// <summary>What a command printed and how it ended.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs a program with arguments (never through a shell) and returns what it printed. An interface so
/// that unit tests can see the exact sbatch, scancel and scontrol arguments.
/// </summary>
public interface ICommandRunner
{
    /// <param name="environment">The whole environment of the command; null: the server's.</param>
    /// <param name="input">The command's standard input; null: none (closed at once).</param>
    /// <exception cref="InvalidOperationException">The program cannot be started, or it outlived <paramref name="timeout"/>.</exception>
    /// <exception cref="SlurmUnreachableException">The host that runs it cannot be reached (a remote runner).</exception>
    Task<CommandResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan timeout,
        CancellationToken cancellationToken = default);
}

/// <summary>Runs commands as child processes of the server.</summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    public async Task<CommandResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} cannot be started: {e.Message}", e);
        }

        using (process)
        {
            if (input is not null)
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"{program} did not finish within {timeout.TotalSeconds:0} s");
            }

            return new CommandResult(process.ExitCode, await output, await error);
        }
    }
}
