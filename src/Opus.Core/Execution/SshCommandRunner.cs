using System.Text;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Opus.Core.Execution;

/// <summary>
/// Runs the SLURM commands on a login node (Opus:Slurm:Transport=ssh) over one SSH connection that every
/// command shares as a channel of its own; a lost connection is made again on the next command. The key
/// authenticates, the host key must match the configured fingerprint (never learnt on first use), and
/// the remote command line is built from the program and its arguments, each one single-quoted, the
/// environment given through env -i and the batch script on standard input: no value is ever read by
/// the remote shell as anything but a word.
/// </summary>
public sealed class SshCommandRunner(OpusOptions options, ILogger<SshCommandRunner> logger) : ICommandRunner, IDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);

    // A channel sshd refuses (over its MaxSessions) would look like a lost connection and drop every command in flight.
    private readonly SemaphoreSlim _channels = new(Math.Max(1, options.Slurm.Ssh.MaxChannels));
    private SshClient? _client;

    private SlurmSshOptions Ssh => options.Slurm.Ssh;

    public async Task<CommandResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var line = CommandLine(program, arguments, environment);
        // One limit for the whole command: waiting for a free channel and for the connection counts against it too.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await _channels.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The connection is fine, only busy: it is kept for the commands that hold its channels.
            throw new SlurmUnreachableException(
                $"{program} on the login node {Ssh.Host} found no free channel within {timeout.TotalSeconds:0} s " +
                $"({Ssh.MaxChannels} commands were running, Opus:Slurm:Ssh:MaxChannels)");
        }

        try
        {
            return await RunOnChannelAsync(program, line, input, timeout, limit.Token, cancellationToken);
        }
        finally
        {
            _channels.Release();
        }
    }

    private async Task<CommandResult> RunOnChannelAsync(
        string program, string line, string? input, TimeSpan timeout, CancellationToken limit, CancellationToken cancellationToken)
    {
        var client = await ConnectedAsync(program, timeout, limit, cancellationToken);
        try
        {
            using var command = client.CreateCommand(line, Encoding.UTF8);
            var execution = command.ExecuteAsync(limit);
            // Closing the input is the command's end of file, with or without a script.
            using (var stdin = command.CreateInputStream())
            {
                if (input is not null)
                    await stdin.WriteAsync(Encoding.UTF8.GetBytes(input), limit);
            }

            await execution;
            return new CommandResult(command.ExitStatus ?? (command.ExitSignal is null ? 0 : 128), command.Result, command.Error);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The connection may be dead without having said so: the next command makes a new one.
            Drop(client);
            throw new SlurmUnreachableException($"{program} on the login node {Ssh.Host} did not finish within {timeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is SshException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException
                                   or InvalidOperationException and not SlurmUnreachableException)
        {
            Drop(client);
            throw new SlurmUnreachableException($"the login node {Ssh.Host} was lost while {program} ran: {e.Message}", e);
        }
    }

    /// <summary>
    /// The remote command: env -i NAME=value... program arguments..., every word single-quoted (the login
    /// shell splits it into exactly these words; nothing in them is expanded).
    /// </summary>
    public static string CommandLine(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var words = new List<string>();
        if (environment is not null)
        {
            words.Add("env");
            words.Add("-i");
            words.AddRange(environment.Select(e => $"{e.Key}={e.Value}"));
        }

        words.Add(program);
        words.AddRange(arguments);
        return string.Join(' ', words.Select(SlurmSubmission.ShellQuote));
    }

    /// <summary>The one connection, made (or made again) within what is left of the command's <paramref name="limit"/>.</summary>
    private async Task<SshClient> ConnectedAsync(string program, TimeSpan timeout, CancellationToken limit, CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true } ready)
            return ready;
        try
        {
            await _connecting.WaitAsync(limit);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SlurmUnreachableException($"the login node {Ssh.Host}:{Ssh.Port} cannot be reached: not connected within {timeout.TotalSeconds:0} s (another command is connecting)");
        }

        try
        {
            if (_client is { IsConnected: true } other)
                return other;
            _client?.Dispose();
            _client = null;
            var client = NewClient();
            try
            {
                await client.ConnectAsync(limit);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                var reason = e is OperationCanceledException ? "no answer" : e.Message;
                throw new SlurmUnreachableException($"the login node {Ssh.Host}:{Ssh.Port} cannot be reached: {reason}", e);
            }

            logger.LogInformation("SSH connection to the login node {Host}:{Port} made", Ssh.Host, Ssh.Port);
            _client = client;
            return client;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private SshClient NewClient()
    {
        var key = string.IsNullOrEmpty(Ssh.KeyPassphrase) ? new PrivateKeyFile(Ssh.KeyFile!) : new PrivateKeyFile(Ssh.KeyFile!, Ssh.KeyPassphrase);
        var connection = new PrivateKeyConnectionInfo(Ssh.Host!, Ssh.Port, Ssh.User!, key) { Timeout = options.Slurm.CommandTimeout };
        var client = new SshClient(connection) { KeepAliveInterval = Ssh.KeepAliveInterval };
        var pinned = PinnedFingerprint(Ssh.HostKeyFingerprint!);
        client.HostKeyReceived += (_, e) =>
        {
            e.CanTrust = string.Equals(e.FingerPrintSHA256, pinned, StringComparison.Ordinal);
            if (!e.CanTrust)
                logger.LogError("The login node {Host} offered host key SHA256:{Offered}, not the configured one: not connecting", Ssh.Host, e.FingerPrintSHA256);
        };
        client.ErrorOccurred += (_, e) => logger.LogWarning("SSH connection to {Host} failed: {Reason}", Ssh.Host, e.Exception.Message);
        return client;
    }

    /// <summary>The base64 part of "SHA256:base64", without padding, as SSH.NET gives it.</summary>
    public static string PinnedFingerprint(string configured) =>
        (configured.StartsWith("SHA256:", StringComparison.Ordinal) ? configured["SHA256:".Length..] : configured).TrimEnd('=');

    private void Drop(SshClient client)
    {
        if (!ReferenceEquals(_client, client))
            return;
        _client = null;
        try
        {
            client.Dispose();
        }
        catch (Exception e) when (e is SshException or IOException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _connecting.Dispose();
        _channels.Dispose();
    }
}
