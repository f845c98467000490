using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;

namespace Opus.Core.Tests.Jobs;

/// <summary>
/// Ends that did not land (a crash or a full disk between the claim and the final write) and jobs whose runner is
/// gone past their limit, on a real SQLite database: the sweep's passes finish them, each exactly once.
/// </summary>
public sealed class JobEndTests : IAsyncLifetime
{
    // A process identity that cannot be alive: this machine, a boot id no machine has, pid 1 is never ours.
    private const string DeadProcess = "gone-host/00000000-0000-0000-0000-000000000000/999999999/0";

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("opus-ends-");
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
        await Get<DefinitionCatalog>().ProposeAsync(new JobDefinition
        {
            Name = "parts",
            Version = "1",
            Script = "true",
            Generated = [new GeneratedDefinition { Name = "part", File = "part*.txt", ContentType = "text/plain" }],
        }, null, publish: true);
        await Get<DefinitionCatalog>().ProposeAsync(new JobDefinition
        {
            Name = "nested",
            Version = "1",
            Script = "true",
            Generated = [new GeneratedDefinition { Name = "table", File = "out/*.txt", ContentType = "text/plain" }],
        }, null, publish: true);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task A_claimed_end_whose_writer_died_is_finished_by_the_sweep_with_every_result_and_its_provenance()
    {
        var job = await AddExecutingAsync("claimedjob", startedSecondsAgo: 5, duration: 0);
        var parts = WriteParts(job.Id, 3);
        var claim = new JobFinish(JobPhase.COMPLETED, null, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(-10), DeadProcess);
        Assert.True(await Get<JobRepository>().TryClaimFinishAsync(job.Id, JobPhases.Active, claim));

        // Another report arriving meanwhile neither collects nor ends the job: the claim is held.
        await Get<JobEvents>().FinishAsync(job.Id, JobPhase.ERROR, "a late, wrong report");
        Assert.Equal(JobPhase.EXECUTING, (await Get<JobRepository>().FindAsync(job.Id))!.Phase);

        Assert.Equal(1, await Get<JobEvents>().RetryClaimsAsync());

        var done = (await Get<JobRepository>().FindAsync(job.Id))!;
        Assert.Equal(JobPhase.COMPLETED, done.Phase);
        Assert.Null(done.Finishing);
        Assert.Equal(parts.Order(), done.Results.Select(r => r.Sha256).Order());
        Assert.All(done.Results, r => Assert.True(Get<EntityStore>().Contains(r.Sha256)));
        await using var db = await Get<IDbContextFactory<OpusDbContext>>().CreateDbContextAsync();
        Assert.Equal(JobPhase.COMPLETED, (await db.ProvActivities.SingleAsync(a => a.JobId == job.Id)).Phase);
        // Nothing left to retry.
        Assert.Equal(0, await Get<JobEvents>().RetryClaimsAsync());
    }

    [Fact]
    public async Task A_retry_after_the_files_moved_finds_them_in_the_store_by_the_claims_results()
    {
        var job = await AddExecutingAsync("movedjob", startedSecondsAgo: 5, duration: 0);
        WriteParts(job.Id, 2);
        var claim = new JobFinish(JobPhase.ERROR, "the script exited with status 3", DateTime.UtcNow, DateTime.UtcNow.AddMinutes(-10), DeadProcess);
        var repository = Get<JobRepository>();
        Assert.True(await repository.TryClaimFinishAsync(job.Id, JobPhases.Active, claim));
        // The first finisher recorded the results and moved the files, then died before its final write.
        var work = Path.Combine(_folder.FullName, "jobs", job.Id, "work");
        var results = new List<JobResult>();
        foreach (var (file, index) in Directory.GetFiles(work).Order().Select((f, i) => (f, i + 1)))
        {
            var (sha, size) = await EntityStore.HashFileAsync(file);
            results.Add(new JobResult($"part_{index}", Path.GetFileName(file), sha, size, "text/plain"));
            Get<EntityStore>().MoveIn(file, sha);
        }

        Assert.True(await repository.TryUpdateClaimAsync(job.Id, claim with { Results = results }));
        Assert.Empty(Directory.GetFiles(work));

        await Get<JobEvents>().RetryClaimsAsync();

        var done = (await repository.FindAsync(job.Id))!;
        Assert.Equal((JobPhase.ERROR, "the script exited with status 3"), (done.Phase, done.ErrorMessage));
        Assert.Equal(results, done.Results);
    }

    [Fact]
    public async Task A_job_executing_long_past_its_limit_with_no_runner_ends_in_ERROR_saying_so()
    {
        var overdue = await AddExecutingAsync("overduejob", startedSecondsAgo: 600, duration: 5);
        var young = await AddExecutingAsync("youngjob", startedSecondsAgo: 1, duration: 5);
        var unlimited = await AddExecutingAsync("unlimitedjob", startedSecondsAgo: 600, duration: 0);

        Assert.Equal(1, await Get<JobService>().EnforceTimeLimitsAsync());

        var ended = (await Get<JobRepository>().FindAsync(overdue.Id))!;
        Assert.Equal(JobPhase.ERROR, ended.Phase);
        Assert.Equal("the execution duration of 5 s was reached; the job was stopped", ended.ErrorMessage);
        Assert.Equal(JobPhase.EXECUTING, (await Get<JobRepository>().FindAsync(young.Id))!.Phase);
        Assert.Equal(JobPhase.EXECUTING, (await Get<JobRepository>().FindAsync(unlimited.Id))!.Phase);
    }

    [Fact]
    public async Task Results_a_runner_leaves_after_an_abort_are_added_to_the_aborted_job_once()
    {
        var job = await AddExecutingAsync("abortedjob", startedSecondsAgo: 5, duration: 0);
        var events = Get<JobEvents>();
        Assert.True(await events.EndAsync(job, JobTransitions.Abort, DateTime.UtcNow, [], null));
        var parts = WriteParts(job.Id, 2);

        // The stopped runner's report, applied twice (callback and events file).
        await events.FinishAsync(job.Id, JobPhase.ERROR, "the job was stopped by signal 15");
        await events.FinishAsync(job.Id, JobPhase.ERROR, "the job was stopped by signal 15");

        var done = (await Get<JobRepository>().FindAsync(job.Id))!;
        Assert.Equal(JobPhase.ABORTED, done.Phase);
        Assert.Null(done.ErrorMessage);
        Assert.Null(done.Finishing);
        Assert.Equal(parts.Order(), done.Results.Select(r => r.Sha256).Order());
    }

    [Fact]
    public async Task A_result_reached_through_a_linked_folder_is_not_collected_and_the_linked_file_stays_where_it_is()
    {
        var job = await AddExecutingAsync("linkedjob", startedSecondsAgo: 5, duration: 0, definition: "nested");
        // The job points work/out at a folder of the server's (its sandbox hides the real one, the server does not).
        var outside = Directory.CreateDirectory(Path.Combine(_folder.FullName, "server-secrets"));
        var secret = Path.Combine(outside.FullName, "secret.txt");
        File.WriteAllText(secret, "not the job's");
        Directory.CreateSymbolicLink(Path.Combine(_folder.FullName, "jobs", job.Id, "work", "out"), outside.FullName);

        await Get<JobEvents>().FinishAsync(job.Id, JobPhase.COMPLETED, null);

        var done = (await Get<JobRepository>().FindAsync(job.Id))!;
        Assert.Equal(JobPhase.COMPLETED, done.Phase);
        Assert.Empty(done.Results);
        Assert.Equal("not the job's", File.ReadAllText(secret));
    }

    private async Task<Job> AddExecutingAsync(string id, int startedSecondsAgo, int duration, string definition = "parts")
    {
        var now = DateTime.UtcNow;
        var job = new Job
        {
            Id = id,
            Definition = definition,
            DefinitionVersion = "1",
            Owner = "alice",
            Phase = JobPhase.EXECUTING,
            CreationTime = now.AddSeconds(-startedSecondsAgo - 1),
            StartTime = now.AddSeconds(-startedSecondsAgo),
            ExecutionDuration = duration,
            Manager = "local",
        };
        await Get<JobRepository>().AddAsync(job);
        Directory.CreateDirectory(Path.Combine(_folder.FullName, "jobs", id, "work"));
        return job;
    }

    /// <summary>Writes distinct result files into the job's work folder; returns their digests.</summary>
    private List<string> WriteParts(string jobId, int count)
    {
        var digests = new List<string>();
        for (var i = 1; i <= count; i++)
        {
            var content = System.Text.Encoding.UTF8.GetBytes($"part {i} of {jobId}\n");
            File.WriteAllBytes(Path.Combine(_folder.FullName, "jobs", jobId, "work", $"part{i}.txt"), content);
            digests.Add(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)));
        }

        return digests;
    }
}
