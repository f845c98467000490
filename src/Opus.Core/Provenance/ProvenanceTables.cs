using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Opus.Core.Provenance;

/// <summary>The model of the provenance tables (called from OpusDbContext.OnModelCreating, which also maps their dates for SQLite).</summary>
public static class ProvenanceTables
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Configure(ModelBuilder modelBuilder)
    {
        var activity = modelBuilder.Entity<ProvActivityRow>();
        activity.ToTable("prov_activities");
        activity.HasKey(a => a.JobId);
        activity.Property(a => a.JobId).HasMaxLength(32);
        activity.Property(a => a.Definition).HasMaxLength(64);
        activity.Property(a => a.DefinitionVersion).HasMaxLength(64);
        activity.Property(a => a.Owner).HasMaxLength(256);
        activity.Property(a => a.Phase).HasConversion<string>().HasMaxLength(16);
        activity.Property(a => a.Parameters).HasConversion(
            new ValueConverter<List<ProvParameterValue>, string>(
                v => JsonSerializer.Serialize(v, Json),
                v => JsonSerializer.Deserialize<List<ProvParameterValue>>(v, Json) ?? new List<ProvParameterValue>()),
            new ValueComparer<List<ProvParameterValue>>(
                (a, b) => a != null && b != null && a.SequenceEqual(b),
                v => v.Aggregate(0, (hash, p) => HashCode.Combine(hash, p)),
                v => v.ToList()));

        var link = modelBuilder.Entity<ProvLinkRow>();
        link.ToTable("prov_links");
        link.HasKey(l => new { l.JobId, l.Kind, l.Role, l.Index });
        link.Property(l => l.JobId).HasMaxLength(32);
        link.Property(l => l.Kind).HasConversion<string>().HasMaxLength(16);
        link.Property(l => l.Role).HasMaxLength(128);
        link.Property(l => l.EntityKind).HasConversion<string>().HasMaxLength(16);
        link.Property(l => l.Sha256).HasMaxLength(64);
        link.Property(l => l.Key).HasMaxLength(512);
        link.Property(l => l.FileName).HasMaxLength(256);
        link.Property(l => l.ContentType).HasMaxLength(128);
        // From an entity to the jobs that used or generated it.
        link.HasIndex(l => l.Sha256);
    }
}
