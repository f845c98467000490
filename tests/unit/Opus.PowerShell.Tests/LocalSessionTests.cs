using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Tests;

/// <summary>
/// The local session over a real temporary data folder: Core's own services, jobs run by the real
/// local manager (real processes), phases read from the runners' events files.
/// </summary>
public sealed class LocalSessionTests : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("opus-local-").FullName;
    private LocalOpusSession _session = null!;

    private static string Definitions => Path.Combine(ModuleMetadata.RepositoryRoot, "definitions");

    public async Task InitializeAsync() =>
        _session = await LocalOpusSession.OpenAsync(new LocalSessionSettings(_data) { DefinitionsPath = Definitions });

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_job_runs_through_the_local_manager_and_its_result_downloads()
    {
        var job = await _session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "hello from the module")], RunId = "local-1", Start = true });
        Assert.Equal("copy", job.Definition);
        var done = await WaitForEndAsync(job);
        Assert.Equal(JobPhase.COMPLETED, done.Phase);
        Assert.NotNull(done.StartTime);
        var result = done.Results.Single(r => r.Name == "output");
        Assert.Equal(("output", "output.txt", 21L), (result.Name, result.FileName, result.Size));

        using var content = new MemoryStream();
        long reported = 0;
        await _session.DownloadResultAsync(result, content, new Progress(v => reported = v));
        Assert.Equal("hello from the module", System.Text.Encoding.UTF8.GetString(content.ToArray()));
        Assert.Equal(21, reported);
        Assert.Equal("", await _session.ReadLogAsync("copy", job.Id, JobLog.Stderr));
    }

    [Fact]
    public async Task The_start_of_a_job_is_read_from_its_events_file()
    {
        // It cannot end before the test stops it: it would sleep an hour.
        var job = await _session.CreateJobAsync(new JobRequest("sleep") { Parameters = [new("seconds", "3600")], Start = true });
        var running = job;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (running.Phase is JobPhase.PENDING or JobPhase.QUEUED && DateTime.UtcNow < deadline)
            running = await _session.WaitJobAsync("sleep", job.Id, TimeSpan.FromSeconds(10));
        Assert.Equal(JobPhase.EXECUTING, running.Phase);
        Assert.NotNull(running.StartTime);

        var aborted = await _session.StopJobAsync("sleep", job.Id);
        Assert.Equal(JobPhase.ABORTED, aborted.Phase);
        await _session.RemoveJobAsync("sleep", job.Id);
        await Assert.ThrowsAsync<OpusNotFoundException>(() => _session.GetJobAsync(null, job.Id));
    }

    [Fact]
    public async Task Jobs_are_found_without_their_definition_and_listed_across_definitions()
    {
        var copy = await _session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "a")] });
        await Task.Delay(5);
        var sleep = await _session.CreateJobAsync(new JobRequest("sleep"));
        Assert.Equal("copy", (await _session.GetJobAsync(null, copy.Id)).Definition);

        var newest = await ToListAsync(_session.ListJobsAsync(new JobListQuery(Last: 1)));
        Assert.Equal(sleep.Id, Assert.Single(newest).Id);
        var pending = await ToListAsync(_session.ListJobsAsync(new JobListQuery("copy", [JobPhase.PENDING])));
        Assert.Equal(copy.Id, Assert.Single(pending).Id);
        Assert.Empty(await ToListAsync(_session.ListJobsAsync(new JobListQuery("copy", [JobPhase.COMPLETED]))));
    }

    [Fact]
    public async Task A_pending_job_changes_and_bad_changes_are_Core_errors()
    {
        var job = await _session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "a")] });
        var changed = await _session.UpdateJobAsync("copy", job.Id, new JobChanges([new("text", "b")], 30, DateTime.UtcNow.AddDays(1)));
        Assert.Equal("b", changed.Parameters.Single(p => p.Name == "text").Value);
        Assert.Equal(30, changed.ExecutionDuration);
        await Assert.ThrowsAsync<OpusValidationException>(() => _session.UpdateJobAsync("copy", job.Id, new JobChanges([new("nope", "1")])));
        await Assert.ThrowsAsync<OpusValidationException>(() => _session.CreateJobAsync(new JobRequest("copy")));
        await Assert.ThrowsAsync<OpusNotFoundException>(() => _session.CreateJobAsync(new JobRequest("no-such-definition")));
    }

    [Fact]
    public async Task Definitions_are_imported_published_exported_and_withdrawn()
    {
        var yaml = (await File.ReadAllTextAsync(Path.Combine(Definitions, "copy.yaml"))).Replace("name: copy", "name: copy2", StringComparison.Ordinal);
        var imported = await _session.ImportDefinitionAsync(yaml, "copy2.yaml", publish: true);
        Assert.Equal(("copy2", "1.0", DefinitionStatus.Published), (imported.Name, imported.Version, imported.Status));
        Assert.Contains(await _session.ListDefinitionsAsync(), d => d.Name == "copy2");

        var votable = await _session.ExportDefinitionAsync("copy2", DefinitionFormat.VoTable);
        Assert.Equal("copy2", DefinitionFormats.Read(votable, "export").Name);

        await _session.RemoveDefinitionAsync("copy2");
        Assert.DoesNotContain(await _session.ListDefinitionsAsync(), d => d.Name == "copy2");
        await Assert.ThrowsAsync<OpusValidationException>(() => _session.ImportDefinitionAsync("name: bad\nscript: ''", "bad.yaml", true));
    }

    [Fact]
    public async Task Users_and_tokens_are_managed_and_a_token_secret_is_given_once()
    {
        var user = await _session.CreateUserAsync(new UserRequest("alice") { Roles = ["copy"], Email = "alice@obs.example" });
        Assert.Equal(["copy"], user.Roles);
        await Assert.ThrowsAsync<OpusConflictException>(() => _session.CreateUserAsync(new UserRequest("alice")));

        var changed = await _session.UpdateUserAsync("alice", new UserChanges(["copy", "sleep"], Active: false, Email: ""));
        Assert.Equal((false, null), (changed.Active, changed.Email));
        Assert.Contains(await ToListAsync(_session.ListUsersAsync()), u => u.UserName == "alice");

        var token = await _session.IssueTokenAsync("alice", "laptop");
        Assert.StartsWith("opus_", token.Secret);
        var listed = Assert.Single(await _session.ListTokensAsync("alice"));
        Assert.Equal(("laptop", null), (listed.Name, listed.Secret));
        await _session.RevokeTokenAsync("alice", "laptop");
        Assert.NotNull(Assert.Single(await _session.ListTokensAsync(user.Id)).RevokedAt);

        await _session.RemoveUserAsync("alice");
        await Assert.ThrowsAsync<OpusNotFoundException>(() => _session.GetUserAsync("alice"));
    }

    [Fact]
    public async Task A_users_externalId_is_set_found_unique_and_cleared()
    {
        var dana = await _session.CreateUserAsync(new UserRequest("dana") { Roles = ["copy"], ExternalId = "sub-dana" });
        Assert.Equal(("sub-dana", "sub-dana"), (dana.ExternalId, dana.ExternalSubject));
        Assert.Equal("sub-dana", (await _session.GetUserAsync("dana")).ExternalId);
        Assert.Equal(dana.Id, Assert.Single(await _session.FindUsersByExternalIdAsync("sub-dana")).Id);
        Assert.Empty(await _session.FindUsersByExternalIdAsync("SUB-DANA"));
        Assert.Null((await _session.CreateUserAsync(new UserRequest("erin") { ExternalId = "" })).ExternalId);

        // One account per person: taken is a conflict, by creation or change; invalid is a validation error.
        await Assert.ThrowsAsync<OpusConflictException>(() => _session.CreateUserAsync(new UserRequest("frank") { ExternalId = "sub-dana" }));
        await Assert.ThrowsAsync<OpusNotFoundException>(() => _session.GetUserAsync("frank"));
        await Assert.ThrowsAsync<OpusConflictException>(() => _session.UpdateUserAsync("erin", new UserChanges(ExternalId: "sub-dana")));
        await Assert.ThrowsAsync<OpusValidationException>(() => _session.UpdateUserAsync("erin", new UserChanges(ExternalId: new string('x', 256))));

        // Changed, left alone by other changes, cleared (""), then free for another user.
        Assert.Equal("sub-dana-2", (await _session.UpdateUserAsync("dana", new UserChanges(ExternalId: "sub-dana-2"))).ExternalId);
        Assert.Equal("sub-dana-2", (await _session.UpdateUserAsync("dana", new UserChanges(["copy", "sleep"]))).ExternalId);
        Assert.Empty(await _session.FindUsersByExternalIdAsync("sub-dana"));
        Assert.Null((await _session.UpdateUserAsync("dana", new UserChanges(ExternalId: ""))).ExternalId);
        Assert.Equal("sub-dana-2", (await _session.UpdateUserAsync("erin", new UserChanges(ExternalId: "sub-dana-2"))).ExternalId);
        Assert.Equal("erin", Assert.Single(await _session.FindUsersByExternalIdAsync("sub-dana-2")).UserName);

        // Only admins look users up.
        await using var dana2 = await LocalOpusSession.OpenAsync(new LocalSessionSettings(_data) { UserName = "dana" });
        await Assert.ThrowsAsync<OpusStateException>(() => dana2.FindUsersByExternalIdAsync("sub-dana-2"));
    }

    [Fact]
    public async Task A_session_as_a_named_user_has_that_users_roles()
    {
        await _session.CreateUserAsync(new UserRequest("bob") { Roles = ["copy"] });
        await using var bob = await LocalOpusSession.OpenAsync(new LocalSessionSettings(_data) { UserName = "bob" });
        Assert.Equal(["copy"], (await bob.ListDefinitionsAsync()).Select(d => d.Name));
        var job = await bob.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "b")] });
        Assert.Equal("bob", job.Owner);
        await Assert.ThrowsAsync<OpusStateException>(() => bob.CreateJobAsync(new JobRequest("sleep")));
        await Assert.ThrowsAsync<OpusStateException>(() => bob.CreateUserAsync(new UserRequest("carol")));
        await Assert.ThrowsAsync<OpusStateException>(() => bob.ImportDefinitionAsync("name: x\nscript: echo", "x.yaml", publish: true));
    }

    [Fact]
    public async Task Only_a_session_alone_with_its_folder_settles_jobs_left_by_a_previous_run()
    {
        Assert.True(_session.SettledPreviousRun);
        Assert.False(DataFolderPresence.IsAlone(_data));
        await using var second = await LocalOpusSession.OpenAsync(new LocalSessionSettings(_data));
        Assert.False(second.SettledPreviousRun);
    }

    [Fact]
    public async Task Provenance_of_a_completed_job_comes_from_Cores_provenance_service()
    {
        var job = await WaitForEndAsync(await _session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "traced")], Start = true }));
        Assert.Equal(JobPhase.COMPLETED, job.Phase);
        var json = await _session.Provenance.GetAsync(new ProvenanceQuery(job.Id, ProvenanceFormat.ProvJson, Depth: 1, Direction: "BACK"));
        Assert.Equal(("application/json", job.Id), (json.MediaType, json.Id));
        Assert.Contains(job.Id, json.Content);
        var provN = await _session.Provenance.GetAsync(new ProvenanceQuery(job.Id, ProvenanceFormat.ProvN));
        Assert.StartsWith("document", provN.Content.TrimStart());
        await Assert.ThrowsAsync<OpusValidationException>(() => _session.Provenance.GetAsync(new ProvenanceQuery(job.Id, Direction: "SIDEWAYS")));
    }

    private async Task<Core.Uws.UwsJob> WaitForEndAsync(Core.Uws.UwsJob job)
    {
        // A bound for a machine whose load average is 10; WAIT returns as soon as the job changes.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!job.Phase.IsFinal() && DateTime.UtcNow < deadline)
            job = await _session.WaitJobAsync(job.Definition, job.Id, TimeSpan.FromSeconds(10));
        return job;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }

    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
