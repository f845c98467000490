using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>Users and their API tokens (hashes only).</summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000004_Users")]
public sealed class M0004_Users : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var time = migrationBuilder.IsSqlite() ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.CreateTable(
            name: "users",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 32, nullable: false),
                UserName = table.Column<string>(maxLength: 128, nullable: false),
                DisplayName = table.Column<string>(maxLength: 256, nullable: true),
                Email = table.Column<string>(maxLength: 256, nullable: true),
                Active = table.Column<bool>(nullable: false),
                Roles = table.Column<string>(nullable: false),
                CreatedAt = table.Column<DateTime>(type: time, nullable: false),
                LastSeenAt = table.Column<DateTime>(type: time, nullable: true),
                Source = table.Column<string>(maxLength: 256, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_users", x => x.Id));
        migrationBuilder.CreateIndex("IX_users_UserName", "users", "UserName", unique: true);

        migrationBuilder.CreateTable(
            name: "tokens",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 32, nullable: false),
                UserId = table.Column<string>(maxLength: 32, nullable: false),
                Name = table.Column<string>(maxLength: 64, nullable: false),
                Hash = table.Column<string>(maxLength: 64, nullable: false),
                CreatedAt = table.Column<DateTime>(type: time, nullable: false),
                ExpiresAt = table.Column<DateTime>(type: time, nullable: true),
                RevokedAt = table.Column<DateTime>(type: time, nullable: true),
                LastUsedAt = table.Column<DateTime>(type: time, nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_tokens", x => x.Id));
        migrationBuilder.CreateIndex("IX_tokens_Hash", "tokens", "Hash", unique: true);
        migrationBuilder.CreateIndex("IX_tokens_UserId", "tokens", "UserId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("tokens");
        migrationBuilder.DropTable("users");
    }
}
