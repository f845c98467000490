using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Storage;

namespace Opus.Core.Tests.LegacyMigrations;

/// <summary>
/// A database made by the hand-written migrations Opus had before dotnet-ef (the classes beside this
/// file, kept only as this fixture), with rows in every table, and the check that the start-up step
/// brings it to the generated migrations without losing one.
/// </summary>
internal static class LegacyDatabase
{
    public const string Provenance = "20261121000005_Provenance";
    public const string ExternalIdentity = "20261121000006_ExternalIdentity";
    public const string JobFinishing = "20261207000007_JobFinishing";

    private static readonly DateTime Created = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>Applies the hand-written chain up to <paramref name="lastMigration"/>, as the Opus of that time did.</summary>
    public static async Task CreateAsync(OpusOptions options, string lastMigration)
    {
        var builder = new DbContextOptionsBuilder<OpusDbContext>();
        var fixtures = typeof(LegacyDatabase).Assembly.GetName().Name;
        if (options.Storage.IsSqlite)
            builder.UseSqlite(options.Storage.ConnectionString, sqlite => sqlite.MigrationsAssembly(fixtures));
        else
            builder.UseNpgsql(options.Storage.ConnectionString, npgsql => npgsql.MigrationsAssembly(fixtures));
        // The hand-written chain had no model snapshot.
        builder.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        await using var db = new OpusDbContext(builder.Options);
        await db.GetService<IMigrator>().MigrateAsync(lastMigration);
    }

    /// <summary>Two jobs, a user with a token, a published definition, a stored entity and a finished job's provenance, in the old tables.</summary>
    public static async Task FillAsync(OpusOptions options)
    {
        await using var db = Open(options);
        var sqlite = options.Storage.IsSqlite;
        object Time(DateTime t) => sqlite ? t.Ticks : t;
        var (started, ended) = (Created.AddMinutes(1), Created.AddMinutes(2));
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO jobs ("Id", "Definition", "DefinitionVersion", "RunId", "Owner", "Phase", "CreationTime", "StartTime", "EndTime",
                              "ExecutionDuration", "Destruction", "Parameters", "Results", "Inputs", "Manager", "ManagerJobId")
            VALUES ('00000000000000000000000000000001', 'copy', '1', 'run-1', 'alice', 'COMPLETED', {0}, {1}, {2}, 60, {3},
                    {4}, {5}, '[]', 'local', '4242'),
                   ('00000000000000000000000000000002', 'copy', '1', NULL, NULL, 'PENDING', {0}, NULL, NULL, 60, NULL, '[]', '[]', '[]', 'local', NULL)
            """, Time(Created), Time(started), Time(ended), Time(Created.AddDays(7)),
            """[{"name":"text","value":"hello","byReference":false}]""",
            """[{"id":"output","fileName":"output.txt","sha256":"aa","size":5,"mimeType":"text/plain"}]""");
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO users ("Id", "UserName", "DisplayName", "Email", "Active", "Roles", "CreatedAt", "LastSeenAt", "Source",
                               "ExternalIssuer", "ExternalSubject", "ModifiedAt")
            VALUES ('0123456789abcdef0123456789abcdef', 'alice', 'Alice', 'alice@example.org', {0}, '["admin"]', {1}, {2}, 'oidc',
                    'https://idp.example', 'sub-1', {1})
            """, true, Time(Created), Time(Created.AddDays(9)));
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO tokens ("Id", "UserId", "Name", "Hash", "CreatedAt", "ExpiresAt")
            VALUES ('fedcba9876543210fedcba9876543210', '0123456789abcdef0123456789abcdef', 'laptop', {0}, {1}, {2})
            """, new string('b', 64), Time(Created), Time(Created.AddDays(30)));
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO definitions ("Name", "Version", "Status", "Document", "CreatedAt", "CreatedBy", "PublishedAt", "PublishedBy")
            VALUES ('copy', '1', 'Published', {2}, {0}, 'alice', {1}, 'alice')
            """, Time(Created), Time(started), """{"name":"copy"}""");
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO entities ("Sha256", "Size", "FileName", "ContentType", "CreationTime", "Owner", "GeneratorJobId", "GeneratorDefinition", "GeneratorResult")
            VALUES ({0}, 5, 'output.txt', 'text/plain', {1}, 'alice', '00000000000000000000000000000001', 'copy', 'output')
            """, new string('a', 64), Time(ended));
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO prov_activities ("JobId", "Definition", "DefinitionVersion", "Owner", "Phase", "StartTime", "EndTime", "Parameters", "RecordedAt")
            VALUES ('00000000000000000000000000000001', 'copy', '1', 'alice', 'COMPLETED', {0}, {1}, {2}, {1})
            """, Time(started), Time(ended), """[{"name":"text","value":"hello"}]""");
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO prov_links ("JobId", "Kind", "Role", "Index", "EntityKind", "Sha256", "FileName", "ContentType", "Time")
            VALUES ('00000000000000000000000000000001', 'Generated', 'output', 0, 'Content', {0}, 'output.txt', 'text/plain', {1}),
                   ('00000000000000000000000000000001', 'Used', 'text', 0, 'Value', NULL, NULL, NULL, {2})
            """, new string('a', 64), Time(ended), Time(started));
    }

    /// <summary>Runs the start-up step of today's Opus on the database and finds every row again, in today's model.</summary>
    public static async Task AssertUpgradedInPlaceAsync(OpusOptions options)
    {
        var contexts = new PooledDbContextFactory<OpusDbContext>(Options(options));
        await DatabaseSetup.MigrateAsync(contexts);

        await using var db = Open(options);
        var migrations = db.GetService<IMigrationsAssembly>().Migrations.Keys.ToList();
        Assert.Equal(migrations, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());

        var jobs = await db.Jobs.AsNoTracking().OrderBy(j => j.Id).ToListAsync();
        Assert.Equal(["00000000000000000000000000000001", "00000000000000000000000000000002"], jobs.Select(j => j.Id));
        var done = jobs[0];
        Assert.Equal((JobPhase.COMPLETED, "alice", "run-1", Created, Created.AddMinutes(2), "4242"), (done.Phase, done.Owner, done.RunId, done.CreationTime, done.EndTime, done.ManagerJobId));
        Assert.Equal(new JobParameter("text", "hello"), Assert.Single(done.Parameters));
        Assert.Equal(new JobResult("output", "output.txt", "aa", 5, "text/plain"), Assert.Single(done.Results));
        Assert.Null(done.Finishing);
        Assert.Equal(JobPhase.PENDING, jobs[1].Phase);

        var user = await db.Users.AsNoTracking().SingleAsync();
        Assert.Equal(("alice", "alice@example.org", true, "https://idp.example", "sub-1", Created, Created.AddDays(9)),
            (user.UserName, user.Email, user.Active, user.ExternalIssuer, user.ExternalSubject, user.ModifiedAt, user.LastSeenAt));
        Assert.Equal(["admin"], user.Roles);
        var token = await db.Tokens.AsNoTracking().SingleAsync();
        Assert.Equal((user.Id, "laptop", new string('b', 64), Created.AddDays(30)), (token.UserId, token.Name, token.Hash, token.ExpiresAt));

        var definition = await db.Definitions.AsNoTracking().SingleAsync();
        Assert.Equal(("copy", "1", DefinitionStatus.Published, "{\"name\":\"copy\"}"), (definition.Name, definition.Version, definition.Status, definition.Document));
        var entity = await db.Entities.AsNoTracking().SingleAsync();
        Assert.Equal(("00000000000000000000000000000001", "output.txt", 5L), (entity.GeneratorJobId, entity.FileName, entity.Size));

        var activity = await db.ProvActivities.AsNoTracking().SingleAsync();
        Assert.Equal(("copy", JobPhase.COMPLETED, Created.AddMinutes(1), Created.AddMinutes(2)), (activity.Definition, activity.Phase, activity.StartTime, activity.EndTime));
        Assert.Equal(new ProvParameterValue("text", "hello"), Assert.Single(activity.Parameters));
        var links = await db.ProvLinks.AsNoTracking().OrderBy(l => l.Role).ToListAsync();
        Assert.Equal([(ProvLinkKind.Generated, "output", ProvEntityKind.Content), (ProvLinkKind.Used, "text", ProvEntityKind.Value)],
            links.Select(l => (l.Kind, l.Role, l.EntityKind)));

        // The upgraded database takes new rows of today's model.
        db.Jobs.Add(new Job { Id = "00000000000000000000000000000003", Definition = "copy", DefinitionVersion = "1", Manager = "local", CreationTime = Created });
        await db.SaveChangesAsync();
    }

    private static DbContextOptions<OpusDbContext> Options(OpusOptions options)
    {
        var builder = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(builder, options);
        return builder.Options;
    }

    private static OpusDbContext Open(OpusOptions options) => new(Options(options));
}
