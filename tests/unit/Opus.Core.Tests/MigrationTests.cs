using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Opus.Core.Storage;

namespace Opus.Core.Tests;

/// <summary>The hand-written migrations must give exactly the schema the model describes.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opus-migrations-");

    [Fact]
    public async Task Migrating_gives_the_schema_of_the_model()
    {
        var migrated = await SchemaAsync("migrated.db", db => db.Database.MigrateAsync());
        var modelled = await SchemaAsync("modelled.db", db => db.Database.EnsureCreatedAsync());
        Assert.Contains("jobs.Phase TEXT notnull=1 pk=0", migrated);
        Assert.Contains("index IX_jobs_Definition_CreationTime (Definition, CreationTime)", migrated);
        Assert.Equal(modelled, migrated);
    }

    [Fact]
    public async Task Existing_users_get_their_creation_as_last_change_and_no_link()
    {
        var path = Path.Combine(_folder.FullName, "users.db");
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { DataPath = _folder.FullName, Storage = { ConnectionString = $"Data Source={path};Pooling=False" } });
        await using var db = new OpusDbContext(options.Options);
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
        await migrator.MigrateAsync("20261121000005_Provenance");
        var created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO users ("Id", "UserName", "Active", "Roles", "CreatedAt", "LastSeenAt", "Source")
            VALUES ('0123456789abcdef0123456789abcdef', 'old', 1, '[]', {created.Ticks}, {created.AddDays(9).Ticks}, 'https://idp.example')
            """);

        await db.Database.MigrateAsync();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.UserName == "old");
        Assert.Equal(created, user.ModifiedAt);
        Assert.Equal("https://idp.example", user.Source);
        Assert.Null(user.ExternalIssuer);
        Assert.Null(user.ExternalSubject);
    }

    private async Task<List<string>> SchemaAsync(string file, Func<OpusDbContext, Task> create)
    {
        var path = Path.Combine(_folder.FullName, file);
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { DataPath = _folder.FullName, Storage = { ConnectionString = $"Data Source={path};Pooling=False" } });
        await using (var db = new OpusDbContext(options.Options))
            await create(db);

        var schema = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        foreach (var table in await ListAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EFMigrations%' ORDER BY name"))
        {
            foreach (var column in await ListAsync(connection, $"SELECT name || ' ' || type || ' notnull=' || \"notnull\" || ' pk=' || pk FROM pragma_table_info('{table}') ORDER BY name"))
                schema.Add($"{table}.{column}");
            foreach (var index in await ListAsync(connection, $"SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c' ORDER BY name"))
                schema.Add($"index {index} ({string.Join(", ", await ListAsync(connection, $"SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"))})");
        }

        return schema;
    }

    private static async Task<List<string>> ListAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
            values.Add(reader.GetString(0));
        return values;
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
