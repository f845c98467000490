using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Opus.Migrations.Sqlite.Migrations
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
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ProgressPercent",
                table: "jobs",
                type: "INTEGER",
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
