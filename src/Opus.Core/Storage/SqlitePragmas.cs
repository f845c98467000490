using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Opus.Core.Storage;

/// <summary>
/// Per-connection SQLite settings: wait for a busy database instead of failing, WAL's safe fast sync, and a
/// write-ahead log kept under <c>Opus:Storage:WalLimitBytes</c>. <see cref="SqliteWalCheckpoints"/> checkpoints at a
/// quarter of the limit; the writers' own automatic checkpoint only at the limit, as a backstop: frequent automatic
/// checkpoints that readers keep from completing run after nearly every commit and hold the checkpoint lock
/// that the truncating checkpoint needs. The file is cut back to the limit whenever the log restarts.
/// Set once per native connection: the pool hands the same one out again with its settings, and EF opens a
/// connection for nearly every query (a round of four pragmas each time was per-request work).
/// </summary>
internal sealed class SqlitePragmas(long walLimitBytes) : DbConnectionInterceptor
{
    private readonly string _pragmas = string.Create(CultureInfo.InvariantCulture,
        $"PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = {walLimitBytes}; PRAGMA wal_autocheckpoint = {walLimitBytes / 4096};");

    // The native connections (sqlite3 handles) already set; gone with them when the pool closes them.
    private readonly ConditionalWeakTable<object, object> _set = new();

    private static readonly object Done = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsSet(connection))
            return;
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
        MarkSet(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsSet(connection))
            return;
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
        MarkSet(connection);
    }

    private bool IsSet(DbConnection connection) => connection is SqliteConnection { Handle: { } handle } && _set.TryGetValue(handle, out _);

    private void MarkSet(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
            _set.AddOrUpdate(handle, Done);
    }
}
