using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Opus.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class JobListFilters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "job_parameter_keys",
                columns: table => new
                {
                    JobId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ValueSha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_parameter_keys", x => new { x.JobId, x.Name });
                });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_CreationTime",
                table: "jobs",
                column: "CreationTime");

            migrationBuilder.CreateIndex(
                name: "IX_jobs_Owner_CreationTime",
                table: "jobs",
                columns: new[] { "Owner", "CreationTime" });

            migrationBuilder.CreateIndex(
                name: "IX_jobs_RunId",
                table: "jobs",
                column: "RunId");

            migrationBuilder.CreateIndex(
                name: "IX_job_parameter_keys_Name_ValueSha256",
                table: "job_parameter_keys",
                columns: new[] { "Name", "ValueSha256" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_parameter_keys");

            migrationBuilder.DropIndex(
                name: "IX_jobs_CreationTime",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "IX_jobs_Owner_CreationTime",
                table: "jobs");

            migrationBuilder.DropIndex(
                name: "IX_jobs_RunId",
                table: "jobs");
        }
    }
}
