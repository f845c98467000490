using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Storage;

/// <summary>
/// The one database of Opus. Provider-neutral: SQLite by default, PostgreSQL by configuration.
/// A job is one row (parameters and results as JSON columns) so reading a job is one query.
/// </summary>
public sealed class OpusDbContext(DbContextOptions<OpusDbContext> options) : DbContext(options)
{
    public DbSet<Job> Jobs => Set<Job>();

    public DbSet<StoredEntity> Entities => Set<StoredEntity>();

    public DbSet<JobParameterKey> JobParameterKeys => Set<JobParameterKey>();

    public DbSet<DefinitionRecord> Definitions => Set<DefinitionRecord>();

    public DbSet<User> Users => Set<User>();

    public DbSet<ApiToken> Tokens => Set<ApiToken>();

    public DbSet<ProvActivityRow> ProvActivities => Set<ProvActivityRow>();

    public DbSet<ProvLinkRow> ProvLinks => Set<ProvLinkRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var job = modelBuilder.Entity<Job>();
        job.ToTable("jobs");
        job.HasKey(j => j.Id);
        job.Property(j => j.Id).HasMaxLength(32);
        job.Property(j => j.Definition).HasMaxLength(64).IsRequired();
        job.Property(j => j.DefinitionVersion).HasMaxLength(64).IsRequired();
        job.Property(j => j.Phase).HasConversion<string>().HasMaxLength(16);
        job.Property(j => j.Owner).HasMaxLength(256);
        job.Property(j => j.RunId).HasMaxLength(1024);
        job.Property(j => j.Manager).HasMaxLength(32);
        job.Property(j => j.ManagerJobId).HasMaxLength(64);
        job.Property(j => j.CallbackTokenHash).HasMaxLength(64);
        job.Property(j => j.ErrorType).HasMaxLength(16);
        job.Property(j => j.ProgressMessage).HasMaxLength(JobProgress.MaxMessageLength);
        job.Ignore(j => j.Progress);
        job.Property(j => j.Parameters).HasConversion(JsonConverter<List<JobParameter>>(), JsonComparer<List<JobParameter>>());
        job.Property(j => j.Results).HasConversion(JsonConverter<List<JobResult>>(), JsonComparer<List<JobResult>>());
        job.Property(j => j.Inputs).HasConversion(JsonConverter<List<JobInput>>(), JsonComparer<List<JobInput>>());
        job.Property(j => j.Finishing).HasConversion(
            new ValueConverter<JobFinish?, string>(v => JsonSerializer.Serialize(v, JsonOptions), v => JsonSerializer.Deserialize<JobFinish>(v, JsonOptions)));

        // The job list filters: definition + newest first (LAST, AFTER), and by phase.
        job.HasIndex(j => new { j.Definition, j.CreationTime });
        job.HasIndex(j => new { j.Definition, j.Phase, j.CreationTime });
        // Reconcile and the sweeper look for active and expiring jobs across definitions.
        job.HasIndex(j => j.Phase);
        job.HasIndex(j => j.Destruction);
        // The client's filters (GET /jobs): by run ID (exact or prefix), by owner, by creation date. Phase
        // comes last so that a page (newest first) and the counts per phase of one owner or one date range
        // are read from the index alone, without a row lookup per matching job.
        job.HasIndex(j => j.RunId);
        job.HasIndex(j => new { j.Owner, j.CreationTime, j.Phase });
        job.HasIndex(j => new { j.CreationTime, j.Phase });

        var parameterKey = modelBuilder.Entity<JobParameterKey>();
        parameterKey.ToTable("job_parameter_keys");
        parameterKey.HasKey(p => new { p.JobId, p.Name });
        parameterKey.Property(p => p.JobId).HasMaxLength(32);
        parameterKey.Property(p => p.Name).HasMaxLength(64);
        parameterKey.Property(p => p.ValueSha256).HasMaxLength(64);
        parameterKey.HasIndex(p => new { p.Name, p.ValueSha256 });

        var entity = modelBuilder.Entity<StoredEntity>();
        entity.ToTable("entities");
        entity.HasKey(e => e.Sha256);
        entity.Property(e => e.Sha256).HasMaxLength(64);
        entity.Property(e => e.FileName).HasMaxLength(256);
        entity.Property(e => e.ContentType).HasMaxLength(128);
        entity.Property(e => e.Owner).HasMaxLength(256);
        entity.Property(e => e.GeneratorJobId).HasMaxLength(32);
        entity.Property(e => e.GeneratorDefinition).HasMaxLength(64);
        entity.Property(e => e.GeneratorResult).HasMaxLength(128);
        entity.HasIndex(e => e.GeneratorJobId);

        var definition = modelBuilder.Entity<DefinitionRecord>();
        definition.ToTable("definitions");
        definition.HasKey(d => new { d.Name, d.Version });
        definition.Property(d => d.Name).HasMaxLength(64);
        definition.Property(d => d.Version).HasMaxLength(64);
        definition.Property(d => d.Status).HasConversion<string>().HasMaxLength(16);
        definition.Property(d => d.CreatedBy).HasMaxLength(256);
        definition.Property(d => d.PublishedBy).HasMaxLength(256);

        var user = modelBuilder.Entity<User>();
        user.ToTable("users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Id).HasMaxLength(32);
        user.Property(u => u.UserName).HasMaxLength(128);
        user.Property(u => u.DisplayName).HasMaxLength(256);
        user.Property(u => u.Email).HasMaxLength(256);
        user.Property(u => u.Source).HasMaxLength(256);
        user.Property(u => u.ExternalIssuer).HasMaxLength(256);
        user.Property(u => u.ExternalSubject).HasMaxLength(255);
        user.Ignore(u => u.ExternalId);
        user.Property(u => u.SlurmAccount).HasMaxLength(UserFields.SlurmAccountMaxLength);
        user.Property(u => u.CreatedByPortalId).HasMaxLength(32);
        user.Property(u => u.Roles).HasConversion(JsonConverter<List<string>>(), JsonComparer<List<string>>());
        user.HasIndex(u => u.UserName).IsUnique();
        // OIDC users are found by issuer and subject, never by name: one Opus user per person at a provider.
        user.HasIndex(u => new { u.ExternalIssuer, u.ExternalSubject }).IsUnique();

        var token = modelBuilder.Entity<ApiToken>();
        token.ToTable("tokens");
        token.HasKey(t => t.Id);
        token.Property(t => t.Id).HasMaxLength(32);
        token.Property(t => t.UserId).HasMaxLength(32);
        token.Property(t => t.Name).HasMaxLength(64);
        token.Property(t => t.Hash).HasMaxLength(64);
        token.HasIndex(t => t.Hash).IsUnique();
        token.HasIndex(t => t.UserId);

        ProvenanceTables.Configure(modelBuilder);

        if (Database.IsSqlite())
        {
            // SQLite has no date type: ticks keep ordering and comparisons exact and index-friendly.
            var utc = new ValueConverter<DateTime, long>(v => v.Ticks, v => new DateTime(v, DateTimeKind.Utc));
            var utcNullable = new ValueConverter<DateTime?, long?>(v => v.HasValue ? v.Value.Ticks : null, v => v.HasValue ? new DateTime(v.Value, DateTimeKind.Utc) : null);
            // Every table, so a new one cannot be forgotten.
            foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
            {
                if (property.ClrType == typeof(DateTime))
                    property.SetValueConverter(utc);
                else if (property.ClrType == typeof(DateTime?))
                    property.SetValueConverter(utcNullable);
            }
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static ValueConverter<T, string> JsonConverter<T>() where T : new() =>
        new(v => JsonSerializer.Serialize(v, JsonOptions), v => JsonSerializer.Deserialize<T>(v, JsonOptions) ?? new T());

    private static ValueComparer<T> JsonComparer<T>() =>
        new(
            (a, b) => JsonSerializer.Serialize(a, JsonOptions) == JsonSerializer.Serialize(b, JsonOptions),
            v => JsonSerializer.Serialize(v, JsonOptions).GetHashCode(StringComparison.Ordinal),
            v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonOptions), JsonOptions)!);
}
