using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Opus.Core;
using Opus.Core.Storage;

namespace Opus.Migrations.Postgres;

/// <summary>The context dotnet-ef builds the PostgreSQL model from; it never opens the database.</summary>
public sealed class DesignTimeContext : IDesignTimeDbContextFactory<OpusDbContext>
{
    public OpusDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { Storage = { Provider = "Postgres", ConnectionString = "Host=localhost;Database=opus_design_time" } });
        return new OpusDbContext(options.Options);
    }
}
