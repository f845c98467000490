using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>Job definitions with every version kept.</summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000003_Definitions")]
public sealed class M0003_Definitions : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var time = migrationBuilder.IsSqlite() ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.CreateTable(
            name: "definitions",
            columns: table => new
            {
                Name = table.Column<string>(maxLength: 64, nullable: false),
                Version = table.Column<string>(maxLength: 64, nullable: false),
                Status = table.Column<string>(maxLength: 16, nullable: false),
                Document = table.Column<string>(nullable: false),
                CreatedAt = table.Column<DateTime>(type: time, nullable: false),
                CreatedBy = table.Column<string>(maxLength: 256, nullable: true),
                PublishedAt = table.Column<DateTime>(type: time, nullable: true),
                PublishedBy = table.Column<string>(maxLength: 256, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_definitions", x => new { x.Name, x.Version }));
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("definitions");
}
