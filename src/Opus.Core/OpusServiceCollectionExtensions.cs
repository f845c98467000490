using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
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
        services.AddSingleton<JobFeed>();
        services.AddSingleton<JobBrowser>();
        services.AddSingleton<JobRepository>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<EntityStore>();
        services.AddSingleton<InputResolver>();
        services.AddSingleton<JobWorkspace>();
        services.AddSingleton<ProvenanceRecorder>();
        services.AddSingleton<GraphvizRenderer>();
        services.AddSingleton<ProvenanceService>();
        services.AddSingleton<JobEvents>();
        services.AddSingleton<LocalManager>();
        services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<LocalManager>());
        // SLURM is always available: the server's default manager or a definition's resources.manager picks it.
        services.TryAddSingleton<ICommandRunner, ProcessCommandRunner>();
        services.AddSingleton<SlurmControl>();
        services.AddSingleton<SlurmSettleQueue>();
        services.AddSingleton<IRunnerReportFilter>(sp => sp.GetRequiredService<SlurmSettleQueue>());
        services.AddSingleton<SlurmManager>();
        services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<SlurmManager>());
        if (StorageOptions.IsPostgres(options.EffectiveStorageProvider))
        {
            // Several server processes may share this database: WAIT wakes on changes made by the others.
            services.AddSingleton<PostgresJobNotifications>();
            services.AddHostedService(sp => sp.GetRequiredService<PostgresJobNotifications>());
        }

        services.AddSingleton<JobService>();
        services.AddSingleton<DefinitionService>();
        return services;
    }

    public static void ConfigureDatabase(DbContextOptionsBuilder db, OpusOptions options)
    {
        var provider = options.EffectiveStorageProvider;
        if (StorageOptions.IsPostgres(provider))
        {
            var connectionString = options.EffectiveConnectionString
                ?? throw new InvalidOperationException("Opus:Storage:Provider is Postgres but Opus:Storage:ConnectionString is not set (e.g. Host=127.0.0.1;Port=5432;Database=opus;Username=opus;Password=...)");
            db.UseNpgsql(connectionString);
        }
        else if (provider.Trim().Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            var connection = options.EffectiveConnectionString ?? new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(options.FullDataPath, "opus.db"),
                Pooling = true,
            }.ToString();
            db.UseSqlite(connection).AddInterceptors(new SqlitePragmas());
        }
        else
        {
            throw new InvalidOperationException($"Opus:Storage:Provider '{provider}' is not supported; use Sqlite or Postgres");
        }

        // Migrations are hand-written, without a model snapshot; a test compares them with the model.
        db.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }
}
