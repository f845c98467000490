using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Users;
using Opus.Core.Uws;

namespace Opus.Core.Sessions;

/// <summary>Where and as whom a local session opens a data folder.</summary>
public sealed record LocalSessionSettings(string DataPath)
{
    /// <summary>A folder of definitions to publish when the database lacks them (as a server's DefinitionsPath).</summary>
    public string? DefinitionsPath { get; init; }

    /// <summary>Act as this local user (with their roles) instead of the system administrator.</summary>
    public string? UserName { get; init; }

    /// <summary>How many jobs this session's local manager runs at once (the server's default when null).</summary>
    public int? MaxConcurrentJobs { get; init; }
}

/// <summary>
/// A session over a data folder, through Core's own services (the registration the server uses,
/// <see cref="OpusServiceCollectionExtensions.AddOpus"/>): the same database, store and job
/// directories, jobs run by the same local manager. There is no HTTP listener, so runners report
/// only to their events file: the session reads a job's start from it, and its own manager applies
/// the end when the runner exits. When no server or other session has the folder open, opening it
/// settles the jobs a previous run left active, as a server's start does.
/// </summary>
public sealed class LocalOpusSession : IOpusSession
{
    private readonly IHost _host;
    private readonly Caller _caller;
    private readonly JobService _jobs;
    private readonly JobRepository _repository;
    private readonly JobEvents _events;
    private readonly JobWorkspace _workspace;
    private readonly JobFiles _files;
    private readonly DefinitionService _definitions;
    private readonly UserDirectory _users;
    private readonly ApiTokens _tokens;

    private LocalOpusSession(IHost host, Caller caller, OpusOptions options, bool settled)
    {
        _host = host;
        var services = host.Services;
        _caller = caller;
        Options = options;
        SettledPreviousRun = settled;
        _jobs = services.GetRequiredService<JobService>();
        _repository = services.GetRequiredService<JobRepository>();
        _events = services.GetRequiredService<JobEvents>();
        _workspace = services.GetRequiredService<JobWorkspace>();
        _files = services.GetRequiredService<JobFiles>();
        _definitions = services.GetRequiredService<DefinitionService>();
        _users = services.GetRequiredService<UserDirectory>();
        _tokens = services.GetRequiredService<ApiTokens>();
        Provenance = new LocalProvenance(services.GetRequiredService<Opus.Core.Provenance.ProvenanceService>(), caller);
    }

    public string Target => Options.FullDataPath;

    public bool IsRemote => false;

    public string UserName => _caller.UserName;

    public OpusOptions Options { get; }

    /// <summary>True when the session was alone at opening and settled the jobs a previous run left active.</summary>
    public bool SettledPreviousRun { get; }

    public IProvenanceSource Provenance { get; }

    /// <summary>
    /// Opens (and creates or migrates) the data folder's database, loads the definitions, and settles left-over
    /// jobs when alone: the host is built and started as the server's is (the same hosted services, in the same order).
    /// </summary>
    public static async Task<LocalOpusSession> OpenAsync(LocalSessionSettings settings, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("Opus:DataPath", Path.GetFullPath(settings.DataPath))]);
        builder.Services.AddOpus(builder.Configuration, options =>
        {
            options.DefinitionsPath = settings.DefinitionsPath;
            // No listener: runners write their events file only.
            options.CallbackUrl = null;
            if (settings.MaxConcurrentJobs is { } max)
                options.MaxConcurrentJobs = max;
        });
        var host = builder.Build();
        try
        {
            var options = host.Services.GetRequiredService<OpusOptions>();
            // Alone: nobody else has jobs of this folder in hand, so leftovers are ours to settle and sweep.
            // (Between the exclusive check and the shared hold there is a moment another opener could share.)
            var alone = DataFolderPresence.IsAlone(options.FullDataPath);
            host.Services.GetRequiredService<JobMaintenance>().Housekeeping = alone;
            await host.StartAsync(cancellationToken);

            var caller = Caller.System;
            if (settings.UserName is { } name)
            {
                var user = await host.Services.GetRequiredService<UserDirectory>().FindAsync(name, cancellationToken)
                    ?? throw new OpusNotFoundException($"no user '{name}' in {options.FullDataPath}");
                if (!user.Active)
                    throw new OpusStateException($"user '{name}' is not active");
                caller = new Caller(user.UserName, user.Roles);
            }

            return new LocalOpusSession(host, caller, options, alone);
        }
        catch
        {
            await StopAsync(host);
            throw;
        }
    }

    // Jobs

    public async Task<UwsJob> CreateJobAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var job = await _jobs.CreateAsync(_caller, new JobCreation
        {
            Definition = request.Definition,
            Parameters = request.Parameters.ToList(),
            Uploads = request.Files.Select(f => new JobUpload(f.Name, Path.GetFileName(f.Path), () => File.OpenRead(f.Path))).ToList(),
            RunId = request.RunId,
            ExecutionDuration = request.ExecutionDuration,
            Destruction = request.Destruction,
            Run = request.Start,
        }, cancellationToken);
        return request.Start ? await GetJobAsync(job.Definition, job.Id, cancellationToken) : UwsJob.From(job);
    }

    public async Task<UwsJob> GetJobAsync(string? definition, string id, CancellationToken cancellationToken = default)
    {
        definition ??= (await _repository.FindAsync(id, cancellationToken))?.Definition
            ?? throw new OpusNotFoundException($"no job '{id}'");
        await IngestAsync(id, cancellationToken);
        return UwsJob.From(await _jobs.GetAsync(_caller, definition, id, cancellationToken));
    }

    public async IAsyncEnumerable<UwsJobRef> ListJobsAsync(JobListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var waiting in await _repository.InPhasesAsync(JobTransitions.Start.From, cancellationToken))
            await IngestAsync(waiting.Id, cancellationToken);

        var lists = query.Definition is { } one ? [one] : _definitions.List(_caller).Select(d => d.Name).ToList();
        var found = new List<UwsJobRef>();
        foreach (var list in lists)
        {
            await foreach (var summary in _jobs.ListAsync(_caller, new JobQuery(list, query.Phases, query.After, query.Last), cancellationToken))
            {
                if (lists.Count == 1)
                    yield return UwsJobRef.From(list, summary);
                else
                    found.Add(UwsJobRef.From(list, summary));
            }
        }

        foreach (var job in JobLists.Merge(found, query.Last))
            yield return job;
    }

    public async Task<UwsJob> StartJobAsync(string definition, string id, CancellationToken cancellationToken = default)
    {
        await _jobs.RunAsync(_caller, definition, id, cancellationToken);
        return await GetJobAsync(definition, id, cancellationToken);
    }

    public async Task<UwsJob> StopJobAsync(string definition, string id, CancellationToken cancellationToken = default)
    {
        await _jobs.AbortAsync(_caller, definition, id, cancellationToken);
        return await GetJobAsync(definition, id, cancellationToken);
    }

    public Task RemoveJobAsync(string definition, string id, CancellationToken cancellationToken = default) =>
        _jobs.DeleteAsync(_caller, definition, id, cancellationToken);

    public async Task<UwsJob> UpdateJobAsync(string definition, string id, JobChanges changes, CancellationToken cancellationToken = default)
    {
        if (changes.Parameters is { Count: > 0 } parameters)
            await _jobs.SetParametersAsync(_caller, definition, id, parameters, cancellationToken);
        if (changes.ExecutionDuration is { } seconds)
            await _jobs.SetExecutionDurationAsync(_caller, definition, id, seconds, cancellationToken);
        if (changes.Destruction is { } destruction)
            await _jobs.SetDestructionAsync(_caller, definition, id, destruction, cancellationToken);
        return await GetJobAsync(definition, id, cancellationToken);
    }

    public async Task<UwsJob> WaitJobAsync(string definition, string id, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + wait;
        var first = await GetJobAsync(definition, id, cancellationToken);
        var job = first;
        // Steps of a second: a change by this process wakes the wait at once, a start written to the events file is read at the next step.
        while (!job.Phase.IsFinal() && job.Phase == first.Phase && DateTime.UtcNow < deadline)
        {
            if (job.Phase.CanBlock())
                await _jobs.WaitAsync(_caller, definition, id, 1, job.Phase, cancellationToken);
            else
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            job = await GetJobAsync(definition, id, cancellationToken);
        }

        return job;
    }

    public async Task DownloadResultAsync(UwsResult result, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var (_, content) = await _files.OpenResultAsync(_caller, result.Definition, result.JobId, result.Name, cancellationToken);
        await using var source = content;
        await Streams.CopyAsync(source, destination, progress, cancellationToken);
    }

    public async Task<string> ReadLogAsync(string definition, string id, JobLog log, CancellationToken cancellationToken = default)
    {
        await using var stream = await _files.OpenLogAsync(_caller, definition, id, log, cancellationToken);
        return stream is null ? "" : await new StreamReader(stream).ReadToEndAsync(cancellationToken);
    }

    // Definitions

    public Task<IReadOnlyList<JobDefinition>> ListDefinitionsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(_definitions.List(_caller));

    public Task<JobDefinition> GetDefinitionAsync(string name, string? version = null, CancellationToken cancellationToken = default) =>
        _definitions.GetAsync(_caller, name, version, cancellationToken);

    public async Task<DefinitionVersion> ImportDefinitionAsync(string content, string source, bool publish, CancellationToken cancellationToken = default)
    {
        var record = await _definitions.ProposeAsync(_caller, content, source, publish, cancellationToken: cancellationToken);
        return new DefinitionVersion(record.Name, record.Version, record.Status, source);
    }

    public Task RemoveDefinitionAsync(string name, CancellationToken cancellationToken = default) =>
        _definitions.RemoveAsync(_caller, name, cancellationToken);

    public async Task<string> ExportDefinitionAsync(string name, DefinitionFormat format, string? version = null, CancellationToken cancellationToken = default) =>
        DefinitionService.Export(await _definitions.GetAsync(_caller, name, version, cancellationToken), format);

    // Users: who may do what is Core's rule (UserDirectory, ApiTokens), as for the server's endpoints.

    public Task<User> CreateUserAsync(UserRequest request, CancellationToken cancellationToken = default) =>
        _users.CreateAsync(_caller, request.UserName, request.DisplayName, request.Email, request.Roles, request.Active, request.ExternalId, cancellationToken,
            request.SlurmAccount);

    public Task<User> GetUserAsync(string idOrName, CancellationToken cancellationToken = default) =>
        _users.GetAsync(_caller, idOrName, cancellationToken);

    public async IAsyncEnumerable<User> ListUsersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int page = 200;
        for (var start = 1; ; start += page)
        {
            var (total, users) = await _users.ListAsync(_caller, null, start, page, cancellationToken: cancellationToken);
            foreach (var user in users)
                yield return user;
            if (users.Count == 0 || start + users.Count > total)
                yield break;
        }
    }

    public async Task<IReadOnlyList<User>> FindUsersByExternalIdAsync(string externalId, CancellationToken cancellationToken = default) =>
        (await _users.ListAsync(_caller, externalId: externalId, count: int.MaxValue, cancellationToken: cancellationToken)).Users;

    public Task<User> UpdateUserAsync(string idOrName, UserChanges changes, CancellationToken cancellationToken = default) =>
        _users.UpdateAsync(_caller, idOrName, null, changes.DisplayName, changes.Email, changes.Active, changes.Roles, changes.ExternalId, cancellationToken,
            changes.SlurmAccount, changes.NotifyOnJobEnd);

    public Task RemoveUserAsync(string idOrName, CancellationToken cancellationToken = default) =>
        _users.DeleteAsync(_caller, idOrName, cancellationToken);

    public async Task<UserToken> IssueTokenAsync(string idOrName, string tokenName, DateTime? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var (user, token, secret) = await _tokens.IssueAsync(_caller, idOrName, tokenName, expiresAt, cancellationToken);
        return Describe(user, token) with { Secret = secret };
    }

    public async Task<IReadOnlyList<UserToken>> ListTokensAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var (user, tokens) = await _tokens.ListAsync(_caller, idOrName, cancellationToken);
        return tokens.Select(t => Describe(user, t)).ToList();
    }

    public Task RevokeTokenAsync(string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default) =>
        _tokens.RevokeAsync(_caller, idOrName, tokenIdOrName, cancellationToken);

    // Runners are in their own sessions: jobs still running go on, and are settled when the folder is next opened alone.
    public ValueTask DisposeAsync() => new(StopAsync(_host));

    private static async Task StopAsync(IHost host)
    {
        try
        {
            await host.StopAsync();
        }
        finally
        {
            host.Dispose();
        }
    }

    /// <summary>A waiting job whose runner has written its start to the events file is EXECUTING from then on.</summary>
    private async Task IngestAsync(string id, CancellationToken cancellationToken)
    {
        foreach (var report in RunnerEvent.ReadFile(_workspace.EventsPath(id)).Where(e => e.Phase == JobPhase.EXECUTING))
            await _events.ApplyAsync(id, report, cancellationToken: cancellationToken);
    }

    private static UserToken Describe(User user, ApiToken token) =>
        new(user.UserName, token.Id, token.Name, token.CreatedAt, token.ExpiresAt, token.RevokedAt, token.LastUsedAt);

    /// <summary>
    /// Core's ProvenanceService, asked as /provsap asks it (the same ProvSAP parameter rules); identifiers
    /// are built on http://localhost, as no server address exists.
    /// </summary>
    private sealed class LocalProvenance(Opus.Core.Provenance.ProvenanceService service, Caller caller) : IProvenanceSource
    {
        public async Task<ProvenanceDocument> GetAsync(ProvenanceQuery query, CancellationToken cancellationToken = default)
        {
            var parameters = new List<KeyValuePair<string, string?>> { new("ID", query.Id), new("RESPONSEFORMAT", ProvenanceFormats.Name(query.Format)) };
            if (query.Depth is { } depth)
                parameters.Add(new("DEPTH", depth.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (query.Direction is { } direction)
                parameters.Add(new("DIRECTION", direction));
            if (query.Model is { } model)
                parameters.Add(new("MODEL", model));
            var request = Opus.Core.Provenance.ProvSapParameters.Parse(parameters, "http://localhost");
            var document = await service.QueryAsync(caller, request, cancellationToken);
            using var buffer = new MemoryStream();
            await service.WriteAsync(document, request.Format, buffer, request, cancellationToken);
            return new ProvenanceDocument(query.Id, query.Format, ProvenanceFormats.MediaType(query.Format), System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }
}
