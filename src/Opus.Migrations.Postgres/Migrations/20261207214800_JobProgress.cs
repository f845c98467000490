using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Opus.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class JobProgress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ProgressMessage",
                table: "jobs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ProgressPercent",
                table: "jobs",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ProgressMessage",
                table: "jobs");

            migrationBuilder.DropColumn(
                name: "ProgressPercent",
                table: "jobs");
        }
    }
}
