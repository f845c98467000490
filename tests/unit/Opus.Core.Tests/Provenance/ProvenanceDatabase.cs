using Microsoft.Extensions.Configuration;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Storage;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Tests.Provenance;

/// <summary>Counts the database commands EF Core sends (every kind), with their text and parameter values.</summary>
public sealed class CommandCounter : DbCommandInterceptor
{
    private readonly List<string> _commands = [];

    public int Count
    {
        get
        {
            lock (_commands)
                return _commands.Count;
        }
    }

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_commands)
                return _commands.ToList();
        }
    }

    public void Reset()
    {
        lock (_commands)
            _commands.Clear();
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Add(command);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Add(command);
        return base.ReaderExecuting(command, eventData, result);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Add(command);
        return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Add(command);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    private void Add(DbCommand command)
    {
        // PostgreSQL gets an IN list as one array parameter.
        var values = string.Join(", ", command.Parameters.Cast<DbParameter>()
            .Select(p => p.Value is System.Collections.IEnumerable many and not string ? string.Join(", ", many.Cast<object?>()) : p.Value));
        lock (_commands)
            _commands.Add($"{command.CommandText}\n-- {values}");
    }
}

/// <summary>
/// A migrated Opus database (SQLite file, or a PostgreSQL database of its own) with provenance rows
/// written straight into prov_activities, prov_links and entities, and a context factory whose
/// commands are counted.
/// </summary>
public sealed class ProvenanceDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly DirectoryInfo _folder;
    private readonly IAsyncDisposable? _owner;

    private ProvenanceDatabase(ServiceProvider services, DirectoryInfo folder, IDbContextFactory<OpusDbContext> counted, CommandCounter counter, IAsyncDisposable? owner)
    {
        _services = services;
        _folder = folder;
        Counted = counted;
        Counter = counter;
        _owner = owner;
    }

    public CommandCounter Counter { get; }

    /// <summary>Contexts on the same database whose commands <see cref="Counter"/> counts.</summary>
    public IDbContextFactory<OpusDbContext> Counted { get; }

    public IDbContextFactory<OpusDbContext> Contexts => Get<IDbContextFactory<OpusDbContext>>();

    public DefinitionCatalog Catalog => Get<DefinitionCatalog>();

    /// <summary>The service as the server has it, except that its reads of provenance are counted.</summary>
    public ProvenanceService Service => new(Counted, Catalog, Get<EntityStore>(), Get<JobRepository>(), Get<ProvenanceRecorder>(), Get<GraphvizRenderer>());

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>
    /// A new database: SQLite in a temporary folder, or the PostgreSQL database <paramref name="postgresConnection"/>
    /// names (<paramref name="owner"/>, which made it, is disposed with it). Connections are pooled, as the server's.
    /// </summary>
    public static async Task<ProvenanceDatabase> CreateAsync(string? postgresConnection = null, IAsyncDisposable? owner = null)
    {
        var folder = Directory.CreateTempSubdirectory("opus-provenance-db-");
        var options = postgresConnection is null
            ? new OpusOptions { DataPath = folder.FullName, Storage = { ConnectionString = $"Data Source={Path.Combine(folder.FullName, "opus.db")};Pooling=True" } }
            : new OpusOptions
            {
                DataPath = folder.FullName,
                Storage = { Provider = "Postgres", ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(postgresConnection) { Pooling = true }.ConnectionString },
            };
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddOpus(new ConfigurationBuilder().Build(), o => (o.DataPath, o.Storage) = (options.DataPath, options.Storage));
        var provider = services.BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(provider.GetRequiredService<IDbContextFactory<OpusDbContext>>());

        var counter = new CommandCounter();
        var builder = new DbContextOptionsBuilder<OpusDbContext>();
        OpusServiceCollectionExtensions.ConfigureDatabase(builder, options);
        builder.AddInterceptors(counter);
        var database = new ProvenanceDatabase(provider, folder, new PooledDbContextFactory<OpusDbContext>(builder.Options), counter, owner);
        await database.Catalog.ProposeAsync(new JobDefinition
        {
            Name = "step",
            Version = "1",
            Script = "cat $input > output.txt; echo $text >> output.txt",
            Parameters = [new ParameterDefinition { Name = "text", Default = "!" }],
            Used = [new UsedDefinition { Name = "input", ContentType = "text/plain", Url = "file://$ID", Multiplicity = "*" }],
            Generated = [new GeneratedDefinition { Name = "output", File = "output.txt", ContentType = "text/plain" }],
        }, null, publish: true);
        return database;
    }

    public async Task AddAsync(ProvenanceRows rows)
    {
        await using var db = await Contexts.CreateDbContextAsync();
        db.ProvActivities.AddRange(rows.Activities);
        db.ProvLinks.AddRange(rows.Links);
        db.Entities.AddRange(rows.Contents);
        await db.SaveChangesAsync();
    }

    /// <summary>A graph as ProvenanceService makes one for <paramref name="caller"/>, on the counted contexts.</summary>
    internal DatabaseProvenanceGraph Graph(Caller? caller) => new(Counted, Catalog, caller);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (_owner is not null)
            await _owner.DisposeAsync();
        _folder.Delete(recursive: true);
    }
}

/// <summary>Provenance rows shaped as the recorder writes them, for <see cref="ProvenanceDatabase.AddAsync"/>.</summary>
public sealed class ProvenanceRows
{
    public static readonly DateTime T0 = new(2025, 3, 1, 8, 0, 0, DateTimeKind.Utc);

    public List<ProvActivityRow> Activities { get; } = [];

    public List<ProvLinkRow> Links { get; } = [];

    public List<StoredEntity> Contents { get; } = [];

    public static string Sha(string seed) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed)));

    public ProvActivityRow Activity(string jobId, string? owner, int minute) =>
        Add(Activities, new ProvActivityRow
        {
            JobId = jobId,
            Definition = "step",
            DefinitionVersion = "1",
            Owner = owner,
            Phase = JobPhase.COMPLETED,
            StartTime = T0.AddMinutes(minute),
            EndTime = T0.AddMinutes(minute).AddSeconds(30),
            Parameters = [new ProvParameterValue("text", $"text of {jobId}")],
            RecordedAt = T0.AddMinutes(minute).AddSeconds(31),
        });

    public ProvLinkRow Used(ProvActivityRow job, string role, int index, ProvEntityKind kind, string? sha, string? value = null, bool many = false) =>
        Add(Links, new ProvLinkRow
        {
            JobId = job.JobId,
            Kind = ProvLinkKind.Used,
            Role = role,
            Index = index,
            EntityKind = kind,
            Sha256 = sha,
            Key = many ? $"used/{role}/{index}" : $"used/{role}",
            Value = value,
            FileName = sha is null ? null : $"{role}-{index}.txt",
            ContentType = sha is null ? null : "text/plain",
            Time = job.StartTime,
        });

    public ProvLinkRow Generated(ProvActivityRow job, string role, int index, string sha, bool first = true) =>
        Add(Links, new ProvLinkRow
        {
            JobId = job.JobId,
            Kind = ProvLinkKind.Generated,
            Role = role,
            Index = index,
            EntityKind = first ? ProvEntityKind.Content : ProvEntityKind.Result,
            Sha256 = sha,
            Key = index == 1 ? $"results/{role}" : $"results/{role}_{index}",
            FileName = "output.txt",
            ContentType = "text/plain",
            Time = job.EndTime,
        });

    public StoredEntity Content(string sha, string? owner, string? generator = null) =>
        Add(Contents, new StoredEntity
        {
            Sha256 = sha,
            Size = 12,
            FileName = "stored.txt",
            ContentType = "text/plain",
            CreationTime = T0,
            Owner = owner,
            GeneratorJobId = generator,
            GeneratorDefinition = generator is null ? null : "step",
            GeneratorResult = generator is null ? null : "output",
        });

    /// <summary>
    /// <paramref name="length"/> jobs named NAME00000..., each using the previous one's output (job i generates
    /// "NAME i" and uses "NAME i-1"); <paramref name="ownerOf"/> gives job i's owner (default alice).
    /// </summary>
    public static ProvenanceRows Chain(string name, int length, Func<int, string?>? ownerOf = null)
    {
        ownerOf ??= _ => "alice";
        var rows = new ProvenanceRows();
        for (var i = 0; i < length; i++)
        {
            var job = rows.Activity(ChainJob(name, i), ownerOf(i), i);
            if (i > 0)
                rows.Used(job, "input", 1, ProvEntityKind.Content, Sha($"{name} {i - 1}"));
            rows.Generated(job, "output", 1, Sha($"{name} {i}"));
            rows.Content(Sha($"{name} {i}"), job.Owner, job.JobId);
        }

        return rows;
    }

    public static string ChainJob(string name, int i) => $"{name}{i:D5}";

    /// <summary>One uploaded content ("NAME input") used by <paramref name="width"/> jobs of alice's, each generating its own output.</summary>
    public static ProvenanceRows FanOut(string name, int width)
    {
        var rows = new ProvenanceRows();
        var shared = Sha($"{name} input");
        rows.Content(shared, "alice");
        for (var i = 0; i < width; i++)
        {
            var job = rows.Activity(ChainJob(name, i), "alice", i);
            rows.Used(job, "input", 1, ProvEntityKind.Content, shared);
            rows.Generated(job, "output", 1, Sha($"{name} {i}"));
            rows.Content(Sha($"{name} {i}"), "alice", job.JobId);
        }

        return rows;
    }

    /// <summary>
    /// A random DAG as several users' jobs make one: files used from earlier jobs (first generations
    /// or re-generations), uploads, the same file used twice, values and URLs, re-generated results,
    /// outputs no one registered, three owners (one anonymous).
    /// </summary>
    public static ProvenanceRows Random(int seed, int jobs)
    {
        var random = new Random(seed);
        var rows = new ProvenanceRows();
        string?[] owners = ["alice", "bob", null];
        var generated = new List<string>();
        var uploads = new List<string>();
        for (var i = 0; i < jobs; i++)
        {
            var job = rows.Activity($"r{seed}j{i:D4}", owners[random.Next(owners.Length)], i);
            // Inputs: 0 to 3, from what earlier jobs generated (often the latest), uploads, values and URLs.
            var inputs = random.Next(4);
            for (var n = 1; n <= inputs; n++)
            {
                var pick = random.Next(10);
                if (pick < 6 && generated.Count > 0)
                {
                    var from = random.Next(2) == 0 ? generated[^Math.Min(generated.Count, 1 + random.Next(3))] : generated[random.Next(generated.Count)];
                    rows.Used(job, "input", n, ProvEntityKind.Content, from, many: true);
                }
                else if (pick < 8)
                {
                    var upload = uploads.Count > 0 && random.Next(3) == 0 ? uploads[random.Next(uploads.Count)] : Sha($"upload {seed} {i} {n}");
                    if (!uploads.Contains(upload))
                    {
                        uploads.Add(upload);
                        if (random.Next(5) > 0)
                            rows.Content(upload, job.Owner);
                    }

                    rows.Used(job, "input", n, ProvEntityKind.Content, upload, many: true);
                }
                else if (pick == 8)
                {
                    rows.Used(job, "band", n, ProvEntityKind.Value, null, $"R{n}", many: true);
                }
                else
                {
                    rows.Used(job, "catalog", n, ProvEntityKind.External, null, $"https://data.example.org/cat/{i}.fits", many: true);
                }
            }

            // Outputs: 1 or 2; sometimes bytes generated before (a re-generation), sometimes never registered.
            var outputs = 1 + random.Next(2);
            for (var n = 1; n <= outputs; n++)
            {
                if (generated.Count > 0 && random.Next(6) == 0)
                {
                    rows.Generated(job, "output", n, generated[random.Next(generated.Count)], first: false);
                    continue;
                }

                var sha = Sha($"output {seed} {i} {n}");
                rows.Generated(job, "output", n, sha);
                generated.Add(sha);
                if (random.Next(6) > 0)
                    rows.Content(sha, job.Owner, job.JobId);
            }
        }

        return rows;
    }

    private static T Add<T>(List<T> list, T item)
    {
        list.Add(item);
        return item;
    }
}

/// <summary>
/// A graph that answers only one item at a time: whatever walks it, every read is a query of its own,
/// as before the traversal read ahead (its PreloadAsync and ReadAheadAsync are the interface's no-ops).
/// </summary>
public sealed class OneAtATimeGraph(IProvenanceGraph inner) : IProvenanceGraph
{
    public Task<ProvActivityRow?> ActivityAsync(string jobId, CancellationToken cancellationToken) => inner.ActivityAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfJobAsync(string jobId, CancellationToken cancellationToken) => inner.LinksOfJobAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken) => inner.LinksOfContentAsync(sha256, cancellationToken);

    public Task<StoredEntity?> ContentAsync(string sha256, CancellationToken cancellationToken) => inner.ContentAsync(sha256, cancellationToken);

    public Task<JobDefinition?> DefinitionAsync(string name, string version, CancellationToken cancellationToken) => inner.DefinitionAsync(name, version, cancellationToken);
}

/// <summary>
/// A database graph without the recursive read-ahead: only the traversal's level-by-level batches
/// (<see cref="IProvenanceGraph.PreloadAsync"/>), as any graph that cannot look further gets them.
/// </summary>
public sealed class LevelByLevelGraph(IProvenanceGraph inner) : IProvenanceGraph
{
    public Task<ProvActivityRow?> ActivityAsync(string jobId, CancellationToken cancellationToken) => inner.ActivityAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfJobAsync(string jobId, CancellationToken cancellationToken) => inner.LinksOfJobAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken) => inner.LinksOfContentAsync(sha256, cancellationToken);

    public Task<StoredEntity?> ContentAsync(string sha256, CancellationToken cancellationToken) => inner.ContentAsync(sha256, cancellationToken);

    public Task<JobDefinition?> DefinitionAsync(string name, string version, CancellationToken cancellationToken) => inner.DefinitionAsync(name, version, cancellationToken);

    public Task PreloadAsync(ProvenancePreload preload, CancellationToken cancellationToken) => inner.PreloadAsync(preload, cancellationToken);
}
