using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Storage;

/// <summary>
/// WAIT across server processes on one PostgreSQL: every job change this process makes is sent as
/// NOTIFY opus_job_changes (batched, off the request path), and every change another process makes
/// arrives through LISTEN and wakes this process's waiters. A lost connection is opened again; a
/// change missed meanwhile only makes a waiter wait until its timeout, as WAIT allows.
/// Likewise for the live views: every change this process publishes to its <see cref="JobFeed"/> is
/// sent as NOTIFY opus_job_feed (JSON, same batching and connection), and the other processes'
/// arrive through the same listener and are relayed to this process's feed subscribers. Our own
/// notifications are ignored, and relayed changes are not sent again. A definition published or
/// withdrawn here is announced on opus_definitions, and the others re-read their catalog at once.
/// </summary>
public sealed class PostgresJobNotifications : IHostedService, IDisposable
{
    private const string Channel = "opus_job_changes";
    private const string FeedChannel = "opus_job_feed";
    // Catalog changes (publish, withdraw): the payload is the sending instance.
    private const string DefinitionsChannel = "opus_definitions";
    // NOTIFY payloads must stay under 8000 bytes.
    private const int MaxPayload = 7000;

    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly Channel<Outgoing> _outgoing = System.Threading.Channels.Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly NpgsqlDataSource _dataSource;
    private readonly JobSignals _signals;
    private readonly JobFeed _feed;
    private readonly DefinitionCatalog _catalog;
    private int _reloadPending;
    private readonly ILogger<PostgresJobNotifications> _logger;
    private Task? _sender;
    private Task? _listener;

    public PostgresJobNotifications(OpusOptions options, JobSignals signals, JobFeed feed, DefinitionCatalog catalog, ILogger<PostgresJobNotifications> logger)
    {
        // Its own small pool: the listener holds one connection for good.
        var builder = new NpgsqlConnectionStringBuilder(options.Storage.ConnectionString) { KeepAlive = 30, MaxPoolSize = 4 };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _signals = signals;
        _feed = feed;
        _catalog = catalog;
        _logger = logger;
        _signals.Changed += OnChanged;
    }

    /// <summary>A job id for WAIT (opus_job_changes) or a change for the live views (opus_job_feed), in the order made.</summary>
    private readonly record struct Outgoing(string? JobId, JobChange? Change);

    private void OnChanged(string jobId) => _outgoing.Writer.TryWrite(new Outgoing(jobId, null));

    private void OnPublished(JobChange change) => _outgoing.Writer.TryWrite(new Outgoing(null, change));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // From here on every job write reads what the feed needs (JobFeed.HasSubscribers): another process may listen.
        _feed.Published += OnPublished;
        _catalog.Changed += OnCatalogChanged;
        _sender = Task.Run(SendAsync, CancellationToken.None);
        _listener = Task.Run(ListenAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task SendAsync()
    {
        var payload = new StringBuilder();
        var feedHead = $"{{\"from\":\"{_instance}\",\"changes\":[";
        var feed = new StringBuilder();
        // A change that did not fit the last feed payload opens the next one.
        string? carried = null;
        try
        {
            while (carried is not null || await _outgoing.Reader.WaitToReadAsync(_stopping.Token))
            {
                payload.Clear().Append(_instance);
                feed.Clear().Append(feedHead);
                if (carried is not null)
                    feed.Append(carried);
                carried = null;
                while (payload.Length < MaxPayload && carried is null && _outgoing.Reader.TryRead(out var item))
                {
                    if (item.JobId is { } jobId)
                    {
                        payload.Append(' ').Append(jobId);
                        continue;
                    }

                    // ASCII only (the encoder escapes the rest), so characters are bytes.
                    var encoded = Encode(item.Change!);
                    if (feedHead.Length + encoded.Length + 2 > MaxPayload)
                        _logger.LogWarning("Job change of {Job} too long to notify ({Length} bytes)", item.Change!.Id, encoded.Length);
                    else if (feed.Length + encoded.Length + 3 > MaxPayload)
                        carried = encoded;
                    else
                        feed.Append(feed.Length > feedHead.Length ? "," : "").Append(encoded);
                }

                var ids = payload.Length > _instance.Length;
                var changes = feed.Length > feedHead.Length;
                if (!ids && !changes)
                    continue;
                try
                {
                    // One round trip for both; each NOTIFY is delivered in the order sent.
                    await using var command = _dataSource.CreateCommand((ids, changes) switch
                    {
                        (true, true) => "SELECT pg_notify(@channel, @payload), pg_notify(@feedChannel, @feed)",
                        (true, false) => "SELECT pg_notify(@channel, @payload)",
                        _ => "SELECT pg_notify(@feedChannel, @feed)",
                    });
                    if (ids)
                    {
                        command.Parameters.AddWithValue("channel", Channel);
                        command.Parameters.AddWithValue("payload", payload.ToString());
                    }

                    if (changes)
                    {
                        command.Parameters.AddWithValue("feedChannel", FeedChannel);
                        command.Parameters.AddWithValue("feed", feed.Append("]}").ToString());
                    }

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
                connection.Notification += (_, e) =>
                {
                    if (e.Channel == FeedChannel)
                        OnFeedNotification(e.Payload);
                    else if (e.Channel == DefinitionsChannel)
                        OnDefinitionsNotification(e.Payload);
                    else
                        OnNotification(e.Payload);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}; LISTEN {FeedChannel}; LISTEN {DefinitionsChannel}", connection))
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

    // One change as a JSON array: [id, definition, owner or null, phase or null (deleted), Unix time in ms],
    // and for a progress report its percent and message after them.
    private static string Encode(JobChange change)
    {
        var at = new DateTimeOffset(change.At.ToUniversalTime()).ToUnixTimeMilliseconds();
        var progress = change.Progress is { } p ? string.Create(CultureInfo.InvariantCulture, $",{p.Percent},{Quote(p.Message)}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{Quote(change.Id)},{Quote(change.Definition)},{Quote(change.Owner)},{Quote(change.Phase?.ToString())},{at}{progress}]");

        static string Quote(string? text) => text is null ? "null" : $"\"{JsonEncodedText.Encode(text)}\"";
    }

    private void OnFeedNotification(string payload)
    {
        // Nobody here to tell.
        if (_feed.SubscriberCount == 0)
            return;
        try
        {
            using var json = JsonDocument.Parse(payload);
            // Our own changes reached our subscribers when published.
            if (json.RootElement.GetProperty("from").GetString() == _instance)
                return;
            foreach (var item in json.RootElement.GetProperty("changes").EnumerateArray())
            {
                if (item.GetArrayLength() < 5
                    || item[0].GetString() is not { } id
                    || item[1].GetString() is not { } definition)
                    continue;
                JobPhase? phase = null;
                if (item[3].GetString() is { } name)
                {
                    if (!Enum.TryParse<JobPhase>(name, out var parsed) || !Enum.IsDefined(parsed))
                        continue;
                    phase = parsed;
                }

                var at = DateTimeOffset.FromUnixTimeMilliseconds(item[4].GetInt64()).UtcDateTime;
                var progress = item.GetArrayLength() >= 7 ? JobProgress.Of(item[5].GetInt32(), item[6].GetString()) : null;
                _feed.PublishRemote(new JobChange(id, definition, item[2].GetString(), phase, at, progress));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            _logger.LogWarning("Job change notification not understood: {Reason}", e.Message);
        }
    }

    // Rare (an admin's publish or withdraw): sent at once, apart from the job batches.
    private void OnCatalogChanged() => _ = Task.Run(async () =>
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
            command.Parameters.AddWithValue("channel", DefinitionsChannel);
            command.Parameters.AddWithValue("payload", _instance);
            await command.ExecuteNonQueryAsync(_stopping.Token);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            // The others re-read the catalog at their next sweep anyway.
            _logger.LogWarning("Catalog change notification not sent: {Reason}", e.Message);
        }
    });

    private void OnDefinitionsNotification(string payload)
    {
        // One re-read at a time is enough: it reads everything; a change meanwhile asks for another.
        if (payload == _instance || Interlocked.Exchange(ref _reloadPending, 1) == 1)
            return;
        _ = Task.Run(async () =>
        {
            Interlocked.Exchange(ref _reloadPending, 0);
            try
            {
                await _catalog.ReloadAsync(_stopping.Token);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
            {
                _logger.LogWarning("Catalog not re-read after another server's change: {Reason}", e.Message);
            }
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _signals.Changed -= OnChanged;
        _feed.Published -= OnPublished;
        _catalog.Changed -= OnCatalogChanged;
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
        _feed.Published -= OnPublished;
        _catalog.Changed -= OnCatalogChanged;
        _stopping.Dispose();
        _dataSource.Dispose();
    }
}
