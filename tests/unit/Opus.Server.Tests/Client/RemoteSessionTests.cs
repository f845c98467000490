using Opus.Client;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Sessions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Client;

/// <summary>A real server process shared by the remote-session tests.</summary>
public sealed class RemoteServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await OpusServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public Task<RemoteOpusSession> AdminAsync() =>
        RemoteOpusSession.ConnectAsync(new RemoteSessionSettings(Server.BaseUri) { UserName = "admin", Token = OpusServer.AdminToken });
}

/// <summary>
/// Opus.Client's remote session (what the PowerShell module uses) against a real server process over HTTP:
/// UWS XML read back by Core's reader, /jdl, SCIM, tokens, ProvSAP; and a local session opened on the
/// running server's data folder.
/// </summary>
public sealed class RemoteSessionTests(RemoteServerFixture fixture) : IClassFixture<RemoteServerFixture>
{
    private OpusServer Server => fixture.Server;

    [Fact]
    public async Task A_job_runs_on_the_server_and_its_result_downloads()
    {
        await using var session = await fixture.AdminAsync();
        var job = await session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "über the wire")], RunId = "remote-1", Start = true });
        Assert.Equal(("copy", "remote-1", "admin"), (job.Definition, job.RunId, job.Owner));
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!job.Phase.IsFinal() && DateTime.UtcNow < deadline)
            job = await session.WaitJobAsync("copy", job.Id, TimeSpan.FromSeconds(10));
        Assert.Equal(JobPhase.COMPLETED, job.Phase);
        var result = job.Results.Single(r => r.Name == "output");
        Assert.Equal("output.txt", result.FileName);
        Assert.NotNull(result.Href);

        using var content = new MemoryStream();
        await session.DownloadResultAsync(result, content);
        Assert.Equal("über the wire", System.Text.Encoding.UTF8.GetString(content.ToArray()));
        Assert.Equal("", await session.ReadLogAsync("copy", job.Id, JobLog.Stdout));
        Assert.Equal("copy", (await session.GetJobAsync(null, job.Id)).Definition);
        Assert.Contains(await ToListAsync(session.ListJobsAsync(new JobListQuery(Phases: [JobPhase.COMPLETED]))), j => j.Id == job.Id);
    }

    [Fact]
    public async Task Uploads_changes_abort_and_removal_go_through_UWS()
    {
        await using var session = await fixture.AdminAsync();
        var job = await session.CreateJobAsync(new JobRequest("sleep") { Parameters = [new("seconds", "60")], ExecutionDuration = 120 });
        Assert.Equal((JobPhase.PENDING, 120), (job.Phase, job.ExecutionDuration));
        var changed = await session.UpdateJobAsync("sleep", job.Id, new JobChanges([new("seconds", "3600")], 90, DateTime.UtcNow.AddDays(2)));
        Assert.Equal(("3600", 90), (changed.Parameters.Single(p => p.Name == "seconds").Value, changed.ExecutionDuration));
        var started = await session.StartJobAsync("sleep", job.Id);
        Assert.NotEqual(JobPhase.PENDING, started.Phase);
        Assert.Equal(JobPhase.ABORTED, (await session.StopJobAsync("sleep", job.Id)).Phase);
        await Assert.ThrowsAsync<OpusStateException>(() => session.StopJobAsync("sleep", job.Id));
        await session.RemoveJobAsync("sleep", job.Id);
        await Assert.ThrowsAsync<OpusNotFoundException>(() => session.GetJobAsync("sleep", job.Id));
        var invalid = await Assert.ThrowsAsync<OpusValidationException>(() => session.CreateJobAsync(new JobRequest("sleep") { Parameters = [new("seconds", "soon")] }));
        Assert.Contains("seconds", invalid.Message);
    }

    [Fact]
    public async Task Definitions_are_imported_read_exported_and_withdrawn_through_jdl()
    {
        await using var session = await fixture.AdminAsync();
        var yaml = (await File.ReadAllTextAsync(Path.Combine(OpusServer.RepositoryRoot, "definitions", "copy.yaml"))).Replace("name: copy", "name: copy-remote", StringComparison.Ordinal);
        var imported = await session.ImportDefinitionAsync(yaml, "copy-remote.yaml", publish: true);
        Assert.Equal(("copy-remote", DefinitionStatus.Published), (imported.Name, imported.Status));
        var definition = await session.GetDefinitionAsync("copy-remote");
        Assert.Equal("text", Assert.Single(definition.Parameters).Name);
        Assert.Contains("application", await session.ExportDefinitionAsync("copy-remote", DefinitionFormat.Wadl));
        await session.RemoveDefinitionAsync("copy-remote");
        Assert.DoesNotContain(await session.ListDefinitionsAsync(), d => d.Name == "copy-remote");
    }

    [Fact]
    public async Task Users_go_through_SCIM_and_tokens_through_their_endpoint()
    {
        await using var session = await fixture.AdminAsync();
        var user = await session.CreateUserAsync(new UserRequest("carol") { Roles = ["copy"], Email = "carol@obs.example", DisplayName = "Carol" });
        Assert.Equal(("carol", "carol@obs.example", true), (user.UserName, user.Email, user.Active));
        await Assert.ThrowsAsync<OpusConflictException>(() => session.CreateUserAsync(new UserRequest("carol")));
        var changed = await session.UpdateUserAsync("carol", new UserChanges(["copy", "sleep"], Email: ""));
        Assert.Equal(["copy", "sleep"], changed.Roles);
        Assert.Null(changed.Email);
        Assert.Equal(user.Id, (await session.GetUserAsync(user.Id)).Id);

        var token = await session.IssueTokenAsync("carol", "ci", DateTime.UtcNow.AddDays(1));
        Assert.StartsWith("opus_", token.Secret);
        await using (var carol = await RemoteOpusSession.ConnectAsync(new RemoteSessionSettings(Server.BaseUri) { UserName = "carol", Token = token.Secret }))
            Assert.Equal(["copy", "sleep"], (await carol.ListDefinitionsAsync()).Select(d => d.Name).Order());
        Assert.Equal("ci", Assert.Single(await session.ListTokensAsync("carol")).Name);
        await session.RevokeTokenAsync("carol", "ci");
        var refused = await Assert.ThrowsAsync<OpusSessionException>(() => RemoteOpusSession.ConnectAsync(new RemoteSessionSettings(Server.BaseUri) { UserName = "carol", Token = token.Secret }));
        Assert.True(refused.IsAuthentication);

        await session.RemoveUserAsync("carol");
        await Assert.ThrowsAsync<OpusNotFoundException>(() => session.GetUserAsync("carol"));
    }

    [Fact]
    public async Task A_users_externalId_goes_through_SCIM_create_filter_and_patch()
    {
        await using var session = await fixture.AdminAsync();
        // A subject with a quote, a backslash and a plus: the SCIM filter's value is a JSON string.
        const string subject = "oidc|\"dave\"\\+1";
        var dave = await session.CreateUserAsync(new UserRequest("dave") { Roles = ["copy"], ExternalId = subject });
        Assert.Equal(subject, dave.ExternalId);
        Assert.Equal(subject, (await session.GetUserAsync("dave")).ExternalId);
        Assert.Contains(await ToListAsync(session.ListUsersAsync()), u => u.UserName == "dave" && u.ExternalId == subject);
        Assert.Equal(dave.Id, Assert.Single(await session.FindUsersByExternalIdAsync(subject)).Id);
        Assert.Empty(await session.FindUsersByExternalIdAsync("oidc|nobody"));

        // 409 and 400 from SCIM arrive as Core's exceptions; nothing is created or changed.
        var eve = await session.CreateUserAsync(new UserRequest("eve") { ExternalId = "" });
        Assert.Null(eve.ExternalId);
        await Assert.ThrowsAsync<OpusConflictException>(() => session.CreateUserAsync(new UserRequest("frank") { ExternalId = subject }));
        await Assert.ThrowsAsync<OpusNotFoundException>(() => session.GetUserAsync("frank"));
        await Assert.ThrowsAsync<OpusConflictException>(() => session.UpdateUserAsync("eve", new UserChanges(ExternalId: subject)));
        await Assert.ThrowsAsync<OpusValidationException>(() => session.UpdateUserAsync("eve", new UserChanges(ExternalId: "line\nbreak")));
        Assert.Null((await session.GetUserAsync("eve")).ExternalId);

        // PATCH replaces it, keeps it under other changes, removes it with "".
        Assert.Equal("oidc|dave-2", (await session.UpdateUserAsync("dave", new UserChanges(ExternalId: "oidc|dave-2"))).ExternalId);
        Assert.Equal("oidc|dave-2", (await session.UpdateUserAsync("dave", new UserChanges(Active: false))).ExternalId);
        Assert.Null((await session.UpdateUserAsync("dave", new UserChanges(ExternalId: ""))).ExternalId);
        Assert.Empty(await session.FindUsersByExternalIdAsync("oidc|dave-2"));
        Assert.Equal(subject, (await session.UpdateUserAsync("eve", new UserChanges(ExternalId: subject))).ExternalId);
        Assert.Equal("eve", Assert.Single(await session.FindUsersByExternalIdAsync(subject)).UserName);

        await session.RemoveUserAsync("dave");
        await session.RemoveUserAsync("eve");
    }

    [Fact]
    public async Task Provenance_comes_from_ProvSAP()
    {
        await using var session = await fixture.AdminAsync();
        var job = await session.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "traced")], Start = true });
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!job.Phase.IsFinal() && DateTime.UtcNow < deadline)
            job = await session.WaitJobAsync("copy", job.Id, TimeSpan.FromSeconds(10));
        var provN = await session.Provenance.GetAsync(new ProvenanceQuery(job.Id, ProvenanceFormat.ProvN, Depth: 1, Direction: "BACK", Model: "IVOA"));
        Assert.Equal("text/provenance-notation", provN.MediaType);
        Assert.Contains(job.Id, provN.Content);
        await Assert.ThrowsAsync<OpusValidationException>(() => session.Provenance.GetAsync(new ProvenanceQuery(job.Id, Direction: "SIDEWAYS")));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_session_error()
    {
        var error = await Assert.ThrowsAsync<OpusSessionException>(() =>
            RemoteOpusSession.ConnectAsync(new RemoteSessionSettings(new Uri("http://127.0.0.1:9")) { Timeout = TimeSpan.FromSeconds(5) }));
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task A_local_session_on_a_running_servers_folder_shares_its_jobs_and_does_not_settle_them()
    {
        // A local session opens the folder's SQLite database; a PostgreSQL test run keeps the jobs elsewhere.
        if (TestPostgres.IsDefaultStorage)
            return;
        await using var remote = await fixture.AdminAsync();
        var job = await remote.CreateJobAsync(new JobRequest("copy") { Parameters = [new("text", "shared")] });
        Assert.False(DataFolderPresence.IsAlone(Server.DataPath));
        await using var local = await LocalOpusSession.OpenAsync(new LocalSessionSettings(Server.DataPath));
        Assert.False(local.SettledPreviousRun);
        Assert.Equal(job.Id, (await local.GetJobAsync(null, job.Id)).Id);
        Assert.Contains(await local.ListDefinitionsAsync(), d => d.Name == "copy");
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
            list.Add(item);
        return list;
    }
}
