using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Opus.Core.Storage;

/// <summary>
/// Per-connection SQLite settings: wait for a busy database instead of failing, WAL's safe fast sync, and a
/// write-ahead log kept under <c>Opus:Storage:WalLimitBytes</c>. <see cref="SqliteWalCheckpoints"/> checkpoints at a
/// quarter of the limit; the writers' own automatic checkpoint only at the limit, as a backstop: frequent automatic
/// checkpoints that readers keep from completing run after nearly every commit and hold the checkpoint lock
/// that the truncating checkpoint needs. The file is cut back to the limit whenever the log restarts.
/// </summary>
internal sealed class SqlitePragmas(long walLimitBytes) : DbConnectionInterceptor
{
    private readonly string _pragmas = string.Create(CultureInfo.InvariantCulture,
        $"PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = {walLimitBytes}; PRAGMA wal_autocheckpoint = {walLimitBytes / 4096};");

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
