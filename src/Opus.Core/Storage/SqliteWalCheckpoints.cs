using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Opus.Core.Storage;

/// <summary>
/// Keeps SQLite's write-ahead log small. SQLite's automatic checkpoint copies the log into the database but
/// can restart the log from its start only when no reader is using it; under steady load some request is
/// always reading, so the log only grows (hundreds of MB next to a 29 MB database at 100,000 jobs). Here a
/// TRUNCATE checkpoint, which waits briefly for the readers of older snapshots to finish, runs when the
/// log passes a quarter of the limit and whenever the log has not grown for a second (the server is idle): it is then
/// cut to zero bytes. A checkpoint that a reader kept from completing is tried again a second later, not at once.
/// </summary>
public sealed class SqliteWalCheckpoints(IDbContextFactory<OpusDbContext> contexts, OpusOptions options, ILogger<SqliteWalCheckpoints> logger)
    : BackgroundService
{
    // Often enough that a burst of writes between looks stays well under the limit; a look is one stat().
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    // Looks without growth after which the server counts as idle (a second).
    private const int IdleLooks = 10;

    // How long a checkpoint may keep new writers waiting for older readers.
    private const int CheckpointBusyMilliseconds = 200;

    // Looks skipped after a checkpoint that could not complete (a reader of an older snapshot) before the next try. Each
    // try holds the writer lock for up to CheckpointBusyMilliseconds: tried at every look while a long read ran (the
    // sweep's pass over a million jobs), they kept every writer out for the whole read, a creation waited 10 s.
    private const int LooksAfterBusy = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string connectionString;
        await using (var db = await contexts.CreateDbContextAsync(stoppingToken))
            connectionString = db.Database.GetConnectionString()!;
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:")
            return;
        var wal = new FileInfo(Path.GetFullPath(file) + "-wal");
        var limit = options.Storage.WalLimitBytes;
        long lastSize = 0;
        var unchanged = 0;
        var pause = 0;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                wal.Refresh();
                var size = wal.Exists ? wal.Length : 0;
                unchanged = size > 0 && size == lastSize ? unchanged + 1 : 0;
                lastSize = size;
                if (pause > 0)
                {
                    pause--;
                    continue;
                }

                if (size > limit / 4 || unchanged >= IdleLooks)
                {
                    if (await CheckpointAsync(connectionString, stoppingToken))
                    {
                        lastSize = 0;
                        unchanged = 0;
                    }
                    else
                    {
                        pause = LooksAfterBusy;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One TRUNCATE checkpoint; true when it completed (the log is empty).</summary>
    private async Task<bool> CheckpointAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            // Not from the pool: its short busy timeout must not stay on a connection the server's queries then use.
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            // Its own short busy timeout: the checkpoint holds the writer lock while it waits for readers.
            command.CommandText = $"PRAGMA busy_timeout = {CheckpointBusyMilliseconds};";
            await command.ExecuteNonQueryAsync(cancellationToken);
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            // One row: busy (1 when it could not complete), log frames, frames checkpointed.
            return await reader.ReadAsync(cancellationToken) && reader.GetInt64(0) == 0;
        }
        catch (SqliteException e)
        {
            logger.LogDebug("WAL checkpoint not done: {Reason}", e.Message);
            return false;
        }
    }
}
