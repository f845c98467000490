using Microsoft.Data.Sqlite;
using Npgsql;

namespace Opus.Core.Storage;

/// <summary>Whether a failure means the server ran out of space, whichever layer wrote: a file, SQLite or PostgreSQL.</summary>
public static class StorageErrors
{
    /// <summary>What a user is told (a 507, a job's error summary); no path, no provider.</summary>
    public const string DiskFullMessage = "the server's disk is full; try again once an administrator has freed space";

    private const int SqliteFull = 13;
    private const int Enospc = 28;
    private const int Edquot = 122;
    // Windows' HRESULTs for ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL.
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Below this much free space in the data folder no new job is created: it would fail half-written.</summary>
    public const long MinFreeBytes = 16L << 20;

    /// <summary>Throws <see cref="DiskFullException"/> when the data folder's file system has less than <see cref="MinFreeBytes"/> free.</summary>
    public static void RequireFreeSpace(string dataPath)
    {
        if (FreeBytes(dataPath) is { } free && free < MinFreeBytes)
            throw new DiskFullException($"{free} bytes free in the data folder, fewer than {MinFreeBytes}");
    }

    /// <summary>True when the data folder's file system has less than <see cref="MinFreeBytes"/> free.</summary>
    public static bool IsNearlyFull(string dataPath) => FreeBytes(dataPath) < MinFreeBytes;

    // Null when unknown: then the writes themselves will tell.
    private static long? FreeBytes(string dataPath)
    {
        try
        {
            return new DriveInfo(dataPath).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="exception"/> or one it wraps says the disk (or the user's quota) is full.</summary>
    public static bool IsDiskFull(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite when sqlite.SqliteErrorCode == SqliteFull:
                case PostgresException postgres when postgres.SqlState == PostgresErrorCodes.DiskFull:
                // On Unix an IOException's HResult is the errno.
                case IOException io when io.HResult is Enospc or Edquot or WindowsDiskFull or WindowsHandleDiskFull:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsDiskFull):
                    return true;
            }
        }

        return false;
    }
}

/// <summary>The data folder has too little space left for new work (an IOException with ENOSPC's code, as the system's own).</summary>
public sealed class DiskFullException : IOException
{
    public DiskFullException(string message)
        : base(message) => HResult = 28;
}
