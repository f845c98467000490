using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Opus.Core.Jobs;

namespace Opus.Core.Storage;

/// <summary>
/// WAIT across server processes on one PostgreSQL: every job change this process makes is sent as
/// NOTIFY opus_job_changes (batched, off the request path), and every change another process makes
/// arrives through LISTEN and wakes this process's waiters. A lost connection is opened again; a
/// change missed meanwhile only makes a waiter wait until its timeout, as WAIT allows.
/// </summary>
public sealed class PostgresJobNotifications : IHostedService, IDisposable
{
    private const string Channel = "opus_job_changes";
    // NOTIFY payloads must stay under 8000 bytes.
    private const int MaxPayload = 7000;

    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly Channel<string> _outgoing = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly NpgsqlDataSource _dataSource;
    private readonly JobSignals _signals;
    private readonly ILogger<PostgresJobNotifications> _logger;
    private Task? _sender;
    private Task? _listener;

    public PostgresJobNotifications(OpusOptions options, JobSignals signals, ILogger<PostgresJobNotifications> logger)
    {
        // Its own small pool: the listener holds one connection for good.
        var builder = new NpgsqlConnectionStringBuilder(options.EffectiveConnectionString) { KeepAlive = 30, MaxPoolSize = 4 };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _signals = signals;
        _logger = logger;
        _signals.Changed += OnChanged;
    }

    private void OnChanged(string jobId) => _outgoing.Writer.TryWrite(jobId);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _sender = Task.Run(SendAsync, CancellationToken.None);
        _listener = Task.Run(ListenAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task SendAsync()
    {
        var payload = new StringBuilder();
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(_stopping.Token))
            {
                payload.Clear().Append(_instance);
                while (payload.Length < MaxPayload && _outgoing.Reader.TryRead(out var jobId))
                    payload.Append(' ').Append(jobId);
                try
                {
                    await using var command = _dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
                    command.Parameters.AddWithValue("channel", Channel);
                    command.Parameters.AddWithValue("payload", payload.ToString());
                    await command.ExecuteNonQueryAsync(_stopping.Token);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    _logger.LogWarning("Job change notification not sent: {Reason}", e.Message);
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ListenAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _dataSource.OpenConnectionAsync(_stopping.Token);
                connection.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(_stopping.Token);
                while (!_stopping.IsCancellationRequested)
                    await connection.WaitAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                _logger.LogWarning("Listening for job changes failed, again in 2 s: {Reason}", e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void OnNotification(string payload)
    {
        var parts = payload.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // Our own changes woke our waiters already.
        if (parts.Length < 2 || parts[0] == _instance)
            return;
        foreach (var jobId in parts.Skip(1))
            _signals.Wake(jobId);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _signals.Changed -= OnChanged;
        await _stopping.CancelAsync();
        foreach (var task in new[] { _sender, _listener })
        {
            if (task is not null)
                await task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        _signals.Changed -= OnChanged;
        _stopping.Dispose();
        _dataSource.Dispose();
    }
}
