using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Opus.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class UserSlurmAccount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SlurmAccount",
                table: "users",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SlurmAccount",
                table: "users");
        }
    }
}
