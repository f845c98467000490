using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>
/// The jobs table. M0001-M0007 are the migrations Opus wrote by hand before dotnet-ef was available,
/// kept here only as the fixture that makes the databases they made (LegacyDatabase).
/// </summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000001_InitialCreate")]
public sealed class M0001_InitialCreate : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var sqlite = migrationBuilder.IsSqlite();
        var time = sqlite ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.CreateTable(
            name: "jobs",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 32, nullable: false),
                Definition = table.Column<string>(maxLength: 64, nullable: false),
                DefinitionVersion = table.Column<string>(maxLength: 64, nullable: false),
                RunId = table.Column<string>(maxLength: 1024, nullable: true),
                Owner = table.Column<string>(maxLength: 256, nullable: true),
                Phase = table.Column<string>(maxLength: 16, nullable: false),
                CreationTime = table.Column<DateTime>(type: time, nullable: false),
                StartTime = table.Column<DateTime>(type: time, nullable: true),
                EndTime = table.Column<DateTime>(type: time, nullable: true),
                ExecutionDuration = table.Column<int>(nullable: false),
                Destruction = table.Column<DateTime>(type: time, nullable: true),
                Quote = table.Column<DateTime>(type: time, nullable: true),
                ErrorMessage = table.Column<string>(nullable: true),
                ErrorType = table.Column<string>(maxLength: 16, nullable: true),
                Parameters = table.Column<string>(nullable: false),
                Results = table.Column<string>(nullable: false),
                Manager = table.Column<string>(maxLength: 32, nullable: false),
                ManagerJobId = table.Column<string>(maxLength: 64, nullable: true),
                CallbackTokenHash = table.Column<string>(maxLength: 64, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_jobs", x => x.Id));

        migrationBuilder.CreateIndex("IX_jobs_Definition_CreationTime", "jobs", ["Definition", "CreationTime"]);
        migrationBuilder.CreateIndex("IX_jobs_Definition_Phase_CreationTime", "jobs", ["Definition", "Phase", "CreationTime"]);
        migrationBuilder.CreateIndex("IX_jobs_Phase", "jobs", "Phase");
        migrationBuilder.CreateIndex("IX_jobs_Destruction", "jobs", "Destruction");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("jobs");
}
