using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Storage;
using Opus.Core.Store;
using Opus.Core.Users;
using Opus.Tests.Provenance;

namespace Opus.Core.Tests.Provenance;

/// <summary>
/// Recording in a real (SQLite) database: the start-up repair pass gives every finished job its
/// provenance, idempotently; the rows outlive the job; answers come from them.
/// </summary>
public sealed class RecorderTests : IAsyncLifetime
{
    private const string E1 = "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26";
    private const string E2 = "1a5fbfa5070038715494538314d3779489c596337880120e8cad433fa8b14c7d";

    private static readonly Caller Alice = new("alice", ["*"]);
    private static readonly Caller Bob = new("bob", ["*"]);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opus-provenance-");
    private ServiceProvider _services = null!;

    private T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddOpus(new ConfigurationBuilder().Build(), o => (o.DataPath, o.Storage.ConnectionString) = (_folder.FullName, $"Data Source={Path.Combine(_folder.FullName, "opus.db")};Pooling=False"));
        _services = services.BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(Get<IDbContextFactory<OpusDbContext>>());
        var catalog = Get<DefinitionCatalog>();
        await catalog.ProposeAsync(new JobDefinition
        {
            Name = "first",
            Version = "1",
            Script = "echo $text > output.txt",
            Parameters = [new ParameterDefinition { Name = "text", Default = "Hello World", Description = "the text" }],
            Generated = [new GeneratedDefinition { Name = "output", File = "output.txt", ContentType = "text/plain" }],
        }, null, publish: true);
        await catalog.ProposeAsync(new JobDefinition
        {
            Name = "second",
            Version = "1",
            Script = "cat $input > output.txt; echo $text >> output.txt",
            Parameters = [new ParameterDefinition { Name = "text", Default = "!" }],
            Used = [new UsedDefinition { Name = "input", ContentType = "text/plain", Url = "file://$ID" }],
            Generated = [new GeneratedDefinition { Name = "output", File = "output.txt", ContentType = "text/plain" }],
        }, null, publish: true);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task The_repair_pass_records_every_finished_job_once_and_the_rows_outlive_the_job()
    {
        var store = Get<EntityStore>();
        var jobs = Get<JobRepository>();
        var t0 = new DateTime(2024, 5, 2, 9, 30, 0, DateTimeKind.Utc);
        await store.RegisterAsync(E1, 12, "output.txt", "text/plain", "alice", ("jobaaaa", "first", "output"));
        await store.RegisterAsync(E2, 14, "output.txt", "text/plain", "alice", ("jobbbbb", "second", "output"));
        await jobs.AddAsync(Job("jobaaaa", "first", JobPhase.COMPLETED, t0, t0.AddSeconds(11),
            parameters: [new("text", "Hello World")], results: [new("output", "output.txt", E1, 12, "text/plain")]));
        // B used A's result under another name.
        await jobs.AddAsync(Job("jobbbbb", "second", JobPhase.COMPLETED, t0.AddMinutes(11), t0.AddMinutes(11).AddSeconds(11),
            parameters: [new("text", "!"), new("input", E1, ByReference: true)],
            inputs: [new("input", 1, JobInputKind.File, "renamed.txt", E1, 12, "renamed.txt", "text/plain")],
            results: [new("output", "output.txt", E2, 14, "text/plain")]));
        // C re-ran A: identical bytes, so a re-generation.
        await jobs.AddAsync(Job("jobcccc", "first", JobPhase.COMPLETED, t0.AddDays(1), t0.AddDays(1).AddSeconds(12),
            results: [new("output", "output.txt", E1, 12, "text/plain")]));
        // D was aborted before it started; E still runs.
        await jobs.AddAsync(Job("jobdddd", "first", JobPhase.ABORTED, null, t0.AddDays(2)));
        await jobs.AddAsync(Job("jobeeee", "first", JobPhase.EXECUTING, t0.AddDays(2), null));

        var recorder = Get<ProvenanceRecorder>();
        Assert.Equal(4, await recorder.RepairAsync());
        Assert.Equal(0, await recorder.RepairAsync());
        Assert.True(await recorder.RecordAsync("jobaaaa"));
        Assert.False(await recorder.RecordAsync("jobeeee"));

        await using (var db = await Get<IDbContextFactory<OpusDbContext>>().CreateDbContextAsync())
        {
            Assert.Equal(["jobaaaa", "jobbbbb", "jobcccc", "jobdddd"], await db.ProvActivities.Select(a => a.JobId).OrderBy(id => id).ToListAsync());
            var links = await db.ProvLinks.AsNoTracking().ToListAsync();
            Assert.Equal(4, links.Count);
            var used = Assert.Single(links, l => l.Kind == ProvLinkKind.Used);
            Assert.Equal(("jobbbbb", ProvEntityKind.Content, E1, "used/input"), (used.JobId, used.EntityKind, used.Sha256, used.Key));
            Assert.Equal(ProvEntityKind.Result, links.Single(l => l.JobId == "jobcccc").EntityKind);
            Assert.Equal(ProvEntityKind.Content, links.Single(l => l.JobId == "jobaaaa").EntityKind);
            var aborted = await db.ProvActivities.SingleAsync(a => a.JobId == "jobdddd");
            Assert.Equal(aborted.EndTime, aborted.StartTime);
            Assert.Equal(JobPhase.ABORTED, aborted.Phase);
            // The values the job ran with, defaults included (C gave none).
            Assert.Equal([new ProvParameterValue("text", "Hello World")], (await db.ProvActivities.SingleAsync(a => a.JobId == "jobcccc")).Parameters);
        }

        // The jobs go; their provenance stays answerable (section 4 rule 7).
        await jobs.DeleteAsync("jobaaaa");
        await jobs.DeleteAsync("jobbbbb");
        var service = Get<ProvenanceService>();
        var query = new ProvenanceQuery { Ids = [E2], Depth = null, BaseUrl = "https://opus.example.org" };
        var document = await service.QueryAsync(Alice, query);
        Assert.Equal(
            new[] { ProvNames.JobId("first", "jobaaaa"), ProvNames.JobId("second", "jobbbbb") },
            document.Records.Where(r => r.Kind == ProvKind.Activity).Select(r => r.Id));
        using var json = new MemoryStream();
        await service.WriteAsync(document, ProvenanceFormat.ProvJson, json);
        ProvInvariants.AssertValid(System.Text.Encoding.UTF8.GetString(json.ToArray()));

        // Another user sees nothing of alice's; the server itself sees everything.
        await Assert.ThrowsAsync<OpusNotFoundException>(() => service.QueryAsync(Bob, query));
        await Assert.ThrowsAsync<OpusNotFoundException>(() => service.QueryAsync(Bob, query with { Ids = ["jobcccc"] }));
        Assert.Equal(2, (await service.QueryAsync(Caller.System, query)).Records.Count(r => r.Kind == ProvKind.Activity));

        // The re-run by its name, and a job that has not ended.
        var rerun = await service.QueryAsync(Alice, query with { Ids = ["opus_job:first/jobcccc/results/output"], Depth = 0 });
        Assert.Single(rerun.Records, r => r.Kind == ProvKind.SpecializationOf);
        var running = await Assert.ThrowsAsync<OpusNotFoundException>(() => service.QueryAsync(Alice, query with { Ids = ["jobeeee"] }));
        Assert.Contains("EXECUTING", running.Message);
    }

    [Fact]
    public async Task A_finished_job_not_recorded_yet_is_recorded_when_its_provenance_is_asked_for()
    {
        var t0 = new DateTime(2024, 5, 2, 9, 30, 0, DateTimeKind.Utc);
        await Get<EntityStore>().RegisterAsync(E1, 12, "output.txt", "text/plain", "alice", ("jobffff", "first", "output"));
        await Get<JobRepository>().AddAsync(Job("jobffff", "first", JobPhase.COMPLETED, t0, t0.AddSeconds(3),
            results: [new("output", "output.txt", E1, 12, "text/plain")]));

        var service = Get<ProvenanceService>();
        var document = await service.QueryAsync(Alice, new ProvenanceQuery { Ids = ["http://any.host/rest/first/jobffff"], Depth = 0, BaseUrl = "https://opus.example.org" });

        Assert.Single(document.Records, r => r.Kind == ProvKind.Activity && r.Id == ProvNames.JobId("first", "jobffff"));
        Assert.Equal(0, await Get<ProvenanceRecorder>().RepairAsync());
        // A job URL must name the job's own definition.
        await Assert.ThrowsAsync<OpusNotFoundException>(() => service.QueryAsync(Alice, new ProvenanceQuery { Ids = ["opus_job:second/jobffff"], BaseUrl = "https://x" }));
    }

    [Fact]
    public async Task Provenance_is_written_in_the_transaction_of_the_final_phase_change_or_not_at_all()
    {
        var jobs = Get<JobRepository>();
        var recorder = Get<ProvenanceRecorder>();
        var t0 = new DateTime(2024, 5, 2, 9, 30, 0, DateTimeKind.Utc);
        await Get<EntityStore>().RegisterAsync(E1, 12, "output.txt", "text/plain", "alice", ("jobgggg", "first", "output"));
        List<JobResult> results = [new("output", "output.txt", E1, 12, "text/plain")];
        foreach (var id in new[] { "jobgggg", "jobhhhh" })
            await jobs.AddAsync(Job(id, "first", JobPhase.EXECUTING, t0, null, parameters: [new("text", "Hello World")]));
        // jobhhhh was aborted meanwhile: its COMPLETED transition loses, and nothing is written with it.
        Assert.True(await jobs.TryTransitionAsync("jobhhhh", JobTransitions.Abort, set => set.SetProperty(j => j.EndTime, t0.AddSeconds(1))));

        foreach (var (id, wins) in new[] { ("jobgggg", true), ("jobhhhh", false) })
        {
            var job = (await jobs.FindAsync(id))!;
            var rows = await recorder.PrepareAsync(job, JobPhase.COMPLETED, t0.AddSeconds(5), results);
            Assert.NotNull(rows);
            var changed = await jobs.TryTransitionAsync(id, JobTransitions.Complete,
                set => set.SetProperty(j => j.EndTime, t0.AddSeconds(5)).SetProperty(j => j.Results, results), recorder.InTransition(rows), null, CancellationToken.None);
            Assert.Equal(wins, changed);
        }

        await using var db = await Get<IDbContextFactory<OpusDbContext>>().CreateDbContextAsync();
        var recorded = await db.ProvActivities.SingleAsync();
        Assert.Equal(("jobgggg", JobPhase.COMPLETED, t0, t0.AddSeconds(5)), (recorded.JobId, recorded.Phase, recorded.StartTime, recorded.EndTime));
        Assert.Equal(ProvEntityKind.Content, (await db.ProvLinks.SingleAsync()).EntityKind);
        // The aborted job is recorded as it ended, by the repair pass (or its abort).
        Assert.Equal(1, await recorder.RepairAsync());
        Assert.Equal(JobPhase.ABORTED, (await db.ProvActivities.SingleAsync(a => a.JobId == "jobhhhh")).Phase);
    }

    private static Job Job(string id, string definition, JobPhase phase, DateTime? start, DateTime? end,
        List<JobParameter>? parameters = null, List<JobInput>? inputs = null, List<JobResult>? results = null) => new()
    {
        Id = id,
        Definition = definition,
        DefinitionVersion = "1",
        Owner = "alice",
        Phase = phase,
        CreationTime = (start ?? end ?? DateTime.UtcNow).AddSeconds(-1),
        StartTime = start,
        EndTime = end,
        Parameters = parameters ?? [],
        Inputs = inputs ?? [],
        Results = results ?? [],
    };
}
