using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Opus.Core;
using Opus.Core.Storage;

namespace Opus.Migrations.Sqlite;

/// <summary>The context dotnet-ef builds the SQLite model from; it never opens the database.</summary>
public sealed class DesignTimeContext : IDesignTimeDbContextFactory<OpusDbContext>
{
    public OpusDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { Storage = { Provider = "Sqlite", ConnectionString = "Data Source=design-time.db" } });
        return new OpusDbContext(options.Options);
    }
}
