using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Opus.Core.Storage;

/// <summary>What a failed write means, whichever provider stores.</summary>
public static class DatabaseErrors
{
    // SQLite's SQLITE_CONSTRAINT and its extended codes for a duplicate primary key or unique index.
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;

    /// <summary>
    /// True when the write failed because a row with the same key (primary key or unique index) exists:
    /// usually another request that inserted the same thing a moment before.
    /// </summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteConstraint
            && sqlite.SqliteExtendedErrorCode is SqliteConstraintPrimaryKey or SqliteConstraintUnique,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
