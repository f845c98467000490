using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>Provenance of finished jobs: one activity row per job and its used/generated links, kept when the job is deleted.</summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000005_Provenance")]
public sealed class M0005_Provenance : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var time = migrationBuilder.IsSqlite() ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.CreateTable(
            name: "prov_activities",
            columns: table => new
            {
                JobId = table.Column<string>(maxLength: 32, nullable: false),
                Definition = table.Column<string>(maxLength: 64, nullable: false),
                DefinitionVersion = table.Column<string>(maxLength: 64, nullable: false),
                Owner = table.Column<string>(maxLength: 256, nullable: true),
                Phase = table.Column<string>(maxLength: 16, nullable: false),
                StartTime = table.Column<DateTime>(type: time, nullable: false),
                EndTime = table.Column<DateTime>(type: time, nullable: false),
                Parameters = table.Column<string>(nullable: false),
                Internal = table.Column<string>(nullable: true),
                RecordedAt = table.Column<DateTime>(type: time, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_prov_activities", x => x.JobId));

        migrationBuilder.CreateTable(
            name: "prov_links",
            columns: table => new
            {
                JobId = table.Column<string>(maxLength: 32, nullable: false),
                Kind = table.Column<string>(maxLength: 16, nullable: false),
                Role = table.Column<string>(maxLength: 128, nullable: false),
                Index = table.Column<int>(nullable: false),
                EntityKind = table.Column<string>(maxLength: 16, nullable: false),
                Sha256 = table.Column<string>(maxLength: 64, nullable: true),
                Key = table.Column<string>(maxLength: 512, nullable: true),
                Value = table.Column<string>(nullable: true),
                FileName = table.Column<string>(maxLength: 256, nullable: true),
                ContentType = table.Column<string>(maxLength: 128, nullable: true),
                Time = table.Column<DateTime>(type: time, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_prov_links", x => new { x.JobId, x.Kind, x.Role, x.Index }));
        migrationBuilder.CreateIndex("IX_prov_links_Sha256", "prov_links", "Sha256");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("prov_links");
        migrationBuilder.DropTable("prov_activities");
    }
}
