using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>The finisher's claim on a job (Job.Finishing): taken before results are collected, retried by the sweep until the final phase lands.</summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261207000007_JobFinishing")]
public sealed class M0007_JobFinishing : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.AddColumn<string>(name: "Finishing", table: "jobs", nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropColumn("Finishing", "jobs");
}
