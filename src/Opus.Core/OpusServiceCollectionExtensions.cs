using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;

namespace Opus.Core;

/// <summary>The one registration of Opus.Core, used by the server and by the PowerShell module's local session.</summary>
public static class OpusServiceCollectionExtensions
{
    public static IServiceCollection AddOpus(this IServiceCollection services, OpusOptions options)
    {
        Directory.CreateDirectory(options.FullDataPath);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddPooledDbContextFactory<OpusDbContext>(db => ConfigureDatabase(db, options));
        services.AddSingleton<JobSignals>();
        services.AddSingleton<JobRepository>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<EntityStore>();
        services.AddSingleton<InputResolver>();
        services.AddSingleton<JobWorkspace>();
        services.AddSingleton<JobEvents>();
        services.AddSingleton<LocalManager>();
        services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<LocalManager>());
        services.AddSingleton<JobService>();
        services.AddSingleton<DefinitionService>();
        return services;
    }

    public static void ConfigureDatabase(DbContextOptionsBuilder db, OpusOptions options)
    {
        switch (options.StorageProvider.ToLowerInvariant())
        {
            case "sqlite":
                var connection = options.ConnectionString ?? new SqliteConnectionStringBuilder
                {
                    DataSource = Path.Combine(options.FullDataPath, "opus.db"),
                    Pooling = true,
                }.ToString();
                db.UseSqlite(connection).AddInterceptors(new SqlitePragmas());
                break;
            default:
                throw new InvalidOperationException($"Opus:StorageProvider '{options.StorageProvider}' is not supported; use Sqlite");
        }

        // Migrations are hand-written, without a model snapshot; a test compares them with the model.
        db.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
