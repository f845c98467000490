using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using Opus.Core.Storage;

namespace Opus.Core.Tests.Postgres;

/// <summary>The hand-written migrations must give, on PostgreSQL too, exactly the schema the model describes.</summary>
public sealed class PostgresMigrationTests : IAsyncLifetime
{
    private readonly TestPostgres _postgres = new();

    [Fact]
    public async Task Migrating_gives_the_schema_of_the_model()
    {
        var migrated = await SchemaAsync(await _postgres.CreateDatabaseAsync("opus_migrated"), db => db.Database.MigrateAsync());
        var modelled = await SchemaAsync(await _postgres.CreateDatabaseAsync("opus_modelled"), db => db.Database.EnsureCreatedAsync());
        Assert.Contains("jobs.Phase character varying(16) null=NO", migrated);
        Assert.Contains("jobs.CreationTime timestamp with time zone null=NO", migrated);
        Assert.Contains(migrated, line => line.StartsWith("index IX_jobs_Definition_CreationTime ", StringComparison.Ordinal));
        Assert.Equal(modelled, migrated);
    }

    [Fact]
    public async Task Existing_users_get_their_creation_as_last_change_and_no_link()
    {
        var connection = await _postgres.CreateDatabaseAsync("opus_users");
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { Storage = { Provider = "Postgres", ConnectionString = connection } });
        await using var db = new OpusDbContext(options.Options);
        await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync("20261121000005_Provenance");
        var created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO users ("Id", "UserName", "Active", "Roles", "CreatedAt", "LastSeenAt", "Source")
            VALUES ('0123456789abcdef0123456789abcdef', 'old', TRUE, '[]', {created}, {created.AddDays(9)}, 'https://idp.example')
            """);

        await db.Database.MigrateAsync();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.UserName == "old");
        Assert.Equal(created, user.ModifiedAt);
        Assert.Null(user.ExternalIssuer);
        Assert.Null(user.ExternalSubject);
    }

    [Fact]
    public async Task Storage_settings_select_PostgreSQL()
    {
        var connection = await _postgres.CreateDatabaseAsync("opus_settings");
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { Storage = { Provider = "PostgreSQL", ConnectionString = connection } });
        await using var db = new OpusDbContext(options.Options);
        Assert.True(db.Database.IsNpgsql());
        await db.Database.MigrateAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    // Column defaults are not compared (as on SQLite): M0002 gives Inputs the default '[]' that existing rows need.
    private static async Task<List<string>> SchemaAsync(string connection, Func<OpusDbContext, Task> create)
    {
        var options = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(options, new OpusOptions { Storage = { Provider = "Postgres", ConnectionString = connection } });
        await using (var db = new OpusDbContext(options.Options))
            await create(db);

        var schema = new List<string>();
        await using var npgsql = new NpgsqlConnection(connection);
        await npgsql.OpenAsync();
        await using (var command = new NpgsqlCommand("""
            SELECT table_name || '.' || column_name || ' ' ||
                   CASE WHEN character_maximum_length IS NULL THEN data_type ELSE data_type || '(' || character_maximum_length || ')' END ||
                   ' null=' || is_nullable
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name NOT LIKE '\_\_EF%'
            ORDER BY table_name, column_name
            """, npgsql))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                schema.Add(reader.GetString(0));
        }

        await using (var command = new NpgsqlCommand("""
            SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename NOT LIKE '\_\_EF%' ORDER BY indexname
            """, npgsql))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                schema.Add(reader.GetString(0));
        }

        return schema;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _postgres.DisposeAsync();
}
