using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>The entity store's rows (one per content digest) and the jobs' resolved inputs.</summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000002_EntitiesAndInputs")]
public sealed class M0002_EntitiesAndInputs : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var time = migrationBuilder.IsSqlite() ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.AddColumn<string>(name: "Inputs", table: "jobs", nullable: false, defaultValue: "[]");
        migrationBuilder.CreateTable(
            name: "entities",
            columns: table => new
            {
                Sha256 = table.Column<string>(maxLength: 64, nullable: false),
                Size = table.Column<long>(nullable: false),
                FileName = table.Column<string>(maxLength: 256, nullable: false),
                ContentType = table.Column<string>(maxLength: 128, nullable: false),
                CreationTime = table.Column<DateTime>(type: time, nullable: false),
                Owner = table.Column<string>(maxLength: 256, nullable: true),
                GeneratorJobId = table.Column<string>(maxLength: 32, nullable: true),
                GeneratorDefinition = table.Column<string>(maxLength: 64, nullable: true),
                GeneratorResult = table.Column<string>(maxLength: 128, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_entities", x => x.Sha256));
        migrationBuilder.CreateIndex("IX_entities_GeneratorJobId", "entities", "GeneratorJobId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("entities");
        migrationBuilder.DropColumn("Inputs", "jobs");
    }
}
