using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
    /// <summary>
    /// Registers Core with its options bound from the configuration section "Opus" (then <paramref name="configure"/>),
    /// validated when the host starts, and its background work (start-up, sweeps, the managers' workers, result
    /// collection) as hosted services: whatever host starts them, server or local session, boots the same way.
    /// A value that cannot be read throws <see cref="OpusConfigurationException"/> naming the key.
    /// </summary>
    public static IServiceCollection AddOpus(this IServiceCollection services, IConfiguration configuration, Action<OpusOptions>? configure = null)
    {
        var section = configuration.GetSection("Opus");
        // Read once here: which services exist depends on a few settings (SLURM, PostgreSQL).
        var settings = OpusOptionsValidator.Read(section, configure);
        services.AddOptions<OpusOptions>().Bind(section).PostConfigure(o => configure?.Invoke(o)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OpusOptions>, OpusOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OpusOptions>>().Value);

        services.TryAddSingleton(TimeProvider.System);
        services.AddPooledDbContextFactory<OpusDbContext>((sp, db) => ConfigureDatabase(db, sp.GetRequiredService<OpusOptions>()));
        services.AddSingleton<Operations.OpusAudit>();
        services.AddSingleton<Operations.OpusMetrics>();
        services.AddSingleton<JobSignals>();
        services.AddSingleton<JobFeed>();
        services.AddSingleton<JobBrowser>();
        services.AddSingleton<JobRepository>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<EntityStore>();
        services.AddSingleton<InputResolver>();
        services.AddSingleton<JobWorkspace>();
        services.AddSingleton<HttpStaging>();
        services.AddSingleton<JobLimits>();
        services.AddSingleton<ProvenanceRecorder>();
        services.AddSingleton<GraphvizRenderer>();
        services.AddSingleton<ProvenanceService>();
        services.AddSingleton<JobFinishQueue>();
        services.AddSingleton<JobEvents>();
        services.AddSingleton<JobProgressReports>();
        services.AddSingleton<JobService>();
        services.AddSingleton<JobFiles>();
        services.AddSingleton<DefinitionService>();
        services.AddSingleton<Users.TokenAuthentication>();
        services.AddSingleton<Users.UserDirectory>();
        services.AddSingleton<Users.ApiTokens>();
        services.AddSingleton<Users.ExternalIdentities>();
        services.AddSingleton<Users.PortalAccounts>();
        services.AddSingleton<Notifications.MailNotifications>();
        services.AddHostedService(sp => sp.GetRequiredService<Notifications.MailNotifications>());

        // Hosted services start in this order: the database and definitions first, then what runs jobs.
        services.AddSingleton<JobMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<JobMaintenance>());
        services.AddHostedService<JobFinisher>();
        services.AddSingleton<LocalManager>();
        services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<LocalManager>());
        services.AddHostedService(sp => sp.GetRequiredService<LocalManager>());
        if (settings.Slurm.Enabled ?? settings.Manager.Equals(SlurmManager.ManagerName, StringComparison.OrdinalIgnoreCase))
        {
            // Opus:Slurm:Transport: the commands here or on a login node, or slurmrestd.
            switch (settings.Slurm.Transport)
            {
                case SlurmOptions.RestTransport:
                    services.AddSingleton<ISlurmTransport, SlurmRestTransport>();
                    break;
                case SlurmOptions.SshTransport:
                    services.TryAddSingleton<ICommandRunner, SshCommandRunner>();
                    services.AddSingleton<ISlurmTransport, SlurmControl>();
                    break;
                default:
                    services.TryAddSingleton<ICommandRunner, ProcessCommandRunner>();
                    services.AddSingleton<ISlurmTransport, SlurmControl>();
                    break;
            }

            services.AddSingleton<SlurmSettleQueue>();
            services.AddSingleton<IRunnerReportFilter>(sp => sp.GetRequiredService<SlurmSettleQueue>());
            services.AddSingleton<SlurmManager>();
            services.AddSingleton<IJobManager>(sp => sp.GetRequiredService<SlurmManager>());
            services.AddHostedService(sp => sp.GetRequiredService<SlurmManager>());
        }

        if (settings.Storage.IsSqlite)
            services.AddHostedService<SqliteWalCheckpoints>();

        if (settings.Storage.IsPostgres)
        {
            // Several server processes may share this database: WAIT wakes on changes made by the others.
            services.AddSingleton<PostgresJobNotifications>();
            services.AddHostedService(sp => sp.GetRequiredService<PostgresJobNotifications>());
        }

        return services;
    }

    public static void ConfigureDatabase(DbContextOptionsBuilder db, OpusOptions options)
    {
        var storage = options.Storage;
        if (storage.IsPostgres)
        {
            var connectionString = storage.ConnectionString
                ?? throw new OpusConfigurationException("Opus:Storage:ConnectionString: required when Opus:Storage:Provider is Postgres (e.g. Host=127.0.0.1;Port=5432;Database=opus;Username=opus;Password=...)");
            db.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly("Opus.Migrations.Postgres"));
        }
        else if (storage.IsSqlite)
        {
            var connection = storage.ConnectionString ?? new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(options.FullDataPath, "opus.db"),
                Pooling = true,
            }.ToString();
            db.UseSqlite(connection, sqlite => sqlite.MigrationsAssembly("Opus.Migrations.Sqlite")).AddInterceptors(new SqlitePragmas(storage.WalLimitBytes));
        }
        else
        {
            throw new OpusConfigurationException($"Opus:Storage:Provider: '{storage.Provider}' is not supported; use Sqlite or Postgres");
        }
    }
}
