using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Opus.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class JobListCoveringIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_jobs_CreationTime",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "IX_jobs_Owner_CreationTime",
                table: "jobs");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_CreationTime_Phase",
                table: "jobs",
                columns: new[] { "CreationTime", "Phase" });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Owner_CreationTime_Phase",
                table: "jobs",
                columns: new[] { "Owner", "CreationTime", "Phase" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_jobs_CreationTime_Phase",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "IX_jobs_Owner_CreationTime_Phase",
                table: "jobs");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_CreationTime",
                table: "jobs",
                column: "CreationTime");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Owner_CreationTime",
                table: "jobs",
                columns: new[] { "Owner", "CreationTime" });
        }
    }
}
