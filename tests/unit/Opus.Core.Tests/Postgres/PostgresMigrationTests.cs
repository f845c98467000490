using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using Opus.Core.Storage;
using Opus.Core.Tests.LegacyMigrations;

namespace Opus.Core.Tests.Postgres;

/// <summary>
/// On PostgreSQL too, the generated migrations give the schema of the model and of the hand-written
/// chain before them, and a database made by that chain upgrades in place.
/// </summary>
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
    public async Task The_generated_baseline_gives_the_schema_of_the_hand_written_chain()
    {
        // Up to the baseline only: the migrations after it change the schema on purpose.
        var generated = await SchemaAsync(await _postgres.CreateDatabaseAsync("opus_generated"),
            db => db.Database.MigrateAsync(db.Database.GetMigrations().Single(m => m.EndsWith("_Baseline", StringComparison.Ordinal))));
        var old = await _postgres.CreateDatabaseAsync("opus_handwritten");
        await LegacyDatabase.CreateAsync(Options(old), LegacyDatabase.JobFinishing);
        var handWritten = await SchemaAsync(old, _ => Task.CompletedTask);
        Assert.Contains("jobs.Finishing text null=YES", handWritten);
        Assert.Equal(handWritten, generated);
    }

    [Theory]
    [InlineData(LegacyDatabase.ExternalIdentity)]
    [InlineData(LegacyDatabase.JobFinishing)]
    public async Task A_database_of_the_hand_written_chain_upgrades_in_place(string lastMigration)
    {
        var options = Options(await _postgres.CreateDatabaseAsync("opus_old"));
        await LegacyDatabase.CreateAsync(options, lastMigration);
        await LegacyDatabase.FillAsync(options);
        await LegacyDatabase.AssertUpgradedInPlaceAsync(options);
    }

    private static OpusOptions Options(string connection) => new() { Storage = { Provider = "Postgres", ConnectionString = connection } };

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

    // Column defaults are not compared (as on SQLite): the hand-written M0002 gave Inputs the default '[]' that existing rows needed.
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
