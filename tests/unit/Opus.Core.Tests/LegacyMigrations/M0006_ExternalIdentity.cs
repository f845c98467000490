using Opus.Core.Storage;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>
/// OIDC users linked by issuer and subject (no longer by name), and the time of a user's last change
/// (SCIM meta.lastModified), which existing users get from their creation.
/// </summary>
[DbContext(typeof(OpusDbContext))]
[Migration("20261121000006_ExternalIdentity")]
public sealed class M0006_ExternalIdentity : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var sqlite = migrationBuilder.IsSqlite();
        var time = sqlite ? "INTEGER" : "timestamp with time zone";
        migrationBuilder.AddColumn<string>(name: "ExternalIssuer", table: "users", maxLength: 256, nullable: true);
        migrationBuilder.AddColumn<string>(name: "ExternalSubject", table: "users", maxLength: 255, nullable: true);
        // A NOT NULL column needs a default for the rows there are; each gets its creation time at once.
        migrationBuilder.AddColumn<DateTime>(name: "ModifiedAt", table: "users", type: time, nullable: false,
            defaultValueSql: sqlite ? "0" : "CURRENT_TIMESTAMP");
        migrationBuilder.Sql("UPDATE users SET \"ModifiedAt\" = \"CreatedAt\";");
        // The model has no default (every insert gives the time); SQLite cannot drop one without rebuilding the table.
        if (!sqlite)
            migrationBuilder.Sql("ALTER TABLE users ALTER COLUMN \"ModifiedAt\" DROP DEFAULT;");
        migrationBuilder.CreateIndex("IX_users_ExternalIssuer_ExternalSubject", "users", ["ExternalIssuer", "ExternalSubject"], unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("IX_users_ExternalIssuer_ExternalSubject", "users");
        migrationBuilder.DropColumn("ModifiedAt", "users");
        migrationBuilder.DropColumn("ExternalSubject", "users");
        migrationBuilder.DropColumn("ExternalIssuer", "users");
    }
}
