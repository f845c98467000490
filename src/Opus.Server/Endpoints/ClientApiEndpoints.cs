using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Opus.Core;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// What the web client needs beyond UWS, /jdl and SCIM, documented as extensions: who the caller is
/// (/me), a paged and sorted JSON job list across definitions with counts per phase (/jobs), a
/// Server-Sent Events stream of the caller's job changes (/events), and the server's state for
/// admins (/status). The same visibility rules as UWS apply to all of them.
/// </summary>
public static class ClientApiEndpoints
{
    // The process's start (not the first call of /status): what "running since" means.
    private static readonly DateTime Started = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public static void MapClientApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/me", (HttpContext context, AuthOptions auth) =>
        {
            var caller = context.Caller();
            return TypedResults.Ok(new Me(caller.UserName, caller.Anonymous, caller.IsAdmin, caller.Roles.ToList(), auth.Oidc.Enabled));
        }).WithMetadata(new ProblemErrors());

        app.MapGet("/jobs", ListJobs).WithMetadata(new ProblemErrors());
        // Every result of the jobs named (job=DEFINITION/ID, repeatable) or, without names, of the jobs the
        // query string's filters find (at most JobBrowser.MaxLimit): one zip, a folder per job.
        app.MapPost("/jobs/results.zip", ResultsZip.SelectionAsync).DisableAntiforgery().WithMetadata(new ProblemErrors());
        app.MapGet("/events", StreamEvents);
        app.MapGet("/status", Status).WithMetadata(new ProblemErrors()).RequireAdmin("only admins may see the server status");
        // Reads a definition in any format (body or a multipart file), validates it and answers it in
        // ?format= (json by default); stores nothing. The editor's import, validate and export.
        app.MapPost("/jdl/check", CheckDefinition).DisableAntiforgery().WithMetadata(new ProblemErrors());
    }

    private static async Task<IResult> CheckDefinition(HttpContext context, DefinitionService definitions, CancellationToken ct)
    {
        var format = DefinitionFormats.Parse(UwsRequest.Single(context.Request.Query, "format") ?? "json");
        var (content, source) = await DefinitionUpload.ReadAsync(context.Request, definitions.Limits, "the definition", ct);
        var definition = definitions.Read(content, source);
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
        var document = DefinitionFormats.Write(definition, format, $"{baseUrl}/rest/{Uri.EscapeDataString(definition.Name)}");
        return Results.Text(document, $"{DefinitionFormats.MediaType(format)}; charset=utf-8");
    }

    private static async Task<Ok<JobPageView>> ListJobs(HttpContext context, JobBrowser browser, CancellationToken ct)
    {
        var query = context.Request.Query;
        var offset = UwsRequest.Single(query, "offset") is { } o ? UwsRequest.ParseInt(o, "offset") : 0;
        var limit = UwsRequest.Single(query, "limit") is { } l ? UwsRequest.ParseInt(l, "limit") : 50;
        var order = UwsRequest.Single(query, "order") ?? "desc";
        if (order is not ("asc" or "desc"))
            throw new OpusValidationException($"order: '{UwsRequest.Shorten(order)}' is not asc or desc");

        var page = await browser.PageAsync(context.Caller(), ParseListQuery(query) with { Offset = offset, Limit = limit, NewestFirst = order == "desc" }, ct);
        var jobs = page.Jobs.Select(j => new JobRowView(j.Id, j.Definition, j.Phase.ToString(), j.RunId, j.Owner, UwsTime.Format(j.CreationTime),
            j.StartTime is { } s ? UwsTime.Format(s) : null, j.EndTime is { } e ? UwsTime.Format(e) : null)).ToList();
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new JobPageView(page.Total, offset, limit, order, PerPhase(page.Counts), jobs));
    }

    /// <summary>
    /// The job list's filters from a query string (GET /jobs, POST /jobs/results.zip): definition and phase
    /// (each repeatable), runId (exact), runIdPrefix, param=NAME=VALUE (repeatable, all must hold), owner,
    /// createdFrom (inclusive) and createdTo (exclusive; a date alone means the end of that day, UTC).
    /// </summary>
    internal static JobPageQuery ParseListQuery(IQueryCollection query)
    {
        var definitions = query["definition"].Where(d => !string.IsNullOrEmpty(d)).Select(d => d!).ToList();
        var phases = query["phase"].Where(p => !string.IsNullOrEmpty(p)).Select(p => UwsRequest.ParsePhase(p!, "phase")).ToList();
        var parameters = query["param"].Where(p => !string.IsNullOrEmpty(p)).Select(p =>
        {
            var equals = p!.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new OpusValidationException($"param: '{UwsRequest.Shorten(p)}' is not NAME=VALUE");
            return new KeyValuePair<string, string>(p[..equals], p[(equals + 1)..]);
        }).ToList();
        var from = UwsRequest.Single(query, "createdFrom") is { Length: > 0 } f ? UwsRequest.ParseInstant(f, "createdFrom") : (DateTime?)null;
        DateTime? to = null;
        if (UwsRequest.Single(query, "createdTo") is { Length: > 0 } t)
            to = UwsRequest.ParseInstant(t, "createdTo") is var instant && t.Trim().Length == 10 ? instant.AddDays(1) : instant;
        if (from is not null && to is not null && from >= to)
            throw new OpusValidationException("createdFrom: must be before createdTo");
        var filter = new JobFilter(
            NonEmpty(UwsRequest.Single(query, "runId")), NonEmpty(UwsRequest.Single(query, "runIdPrefix")), parameters,
            NonEmpty(UwsRequest.Single(query, "owner")), from, to);
        return new JobPageQuery(definitions, phases, Filter: filter);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>
    /// text/event-stream: a "ready" event (with the reconnection delay), then one "job" event per creation,
    /// phase change or deletion of a job the caller may see (optionally of the given definitions), one
    /// "progress" event per progress report recorded (at most one a second a job), and a
    /// "keepalive" event with empty data after 15 s of silence, so proxies see traffic (EventSource ignores
    /// events nobody listens to). Ends when the client goes or the server stops.
    /// </summary>
    private static ServerSentEventsResult<string> StreamEvents(HttpContext context, JobFeed feed, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        var definitions = context.Request.Query["definition"].Where(d => !string.IsNullOrEmpty(d)).Select(d => d!).ToHashSet(StringComparer.Ordinal);
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(JobEvents(caller, definitions, feed, lifetime.ApplicationStopping));
    }

    private static async IAsyncEnumerable<SseItem<string>> JobEvents(
        Caller caller, HashSet<string> definitions, JobFeed feed, CancellationToken stopping, [EnumeratorCancellation] CancellationToken aborted = default)
    {
        using var subscription = feed.Subscribe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        yield return new SseItem<string>("{}", "ready") { ReconnectionInterval = TimeSpan.FromSeconds(2) };

        var reader = subscription.Changes;
        while (await NextAsync(reader, stop.Token) is var next && next != Next.End)
        {
            if (next == Next.Silence)
            {
                yield return new SseItem<string>(string.Empty, "keepalive");
                continue;
            }

            while (reader.TryRead(out var change))
            {
                if (!caller.MayRead(change.Owner) || (definitions.Count > 0 ? !definitions.Contains(change.Definition) : !caller.MayUse(change.Definition)))
                    continue;
                if (change.Progress is { } progress)
                {
                    var report = new JobProgressView(change.Id, change.Definition, progress.Percent, progress.Message, UwsTime.Format(change.At));
                    yield return new SseItem<string>(JsonSerializer.Serialize(report, ServerJson.Default.JobProgressView), "progress");
                    continue;
                }

                var data = new JobChangeView(change.Id, change.Definition, change.Phase?.ToString(), change.Phase is null, UwsTime.Format(change.At));
                yield return new SseItem<string>(JsonSerializer.Serialize(data, ServerJson.Default.JobChangeView), "job");
            }
        }
    }

    private enum Next { Changes, Silence, End }

    /// <summary>Waits at most 15 s for changes; End when the feed closes, the client leaves or the server stops.</summary>
    private static async Task<Next> NextAsync(ChannelReader<JobChange> reader, CancellationToken stop)
    {
        using var beat = CancellationTokenSource.CreateLinkedTokenSource(stop);
        beat.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            return await reader.WaitToReadAsync(beat.Token) ? Next.Changes : Next.End;
        }
        catch (OperationCanceledException)
        {
            return stop.IsCancellationRequested ? Next.End : Next.Silence;
        }
    }

    private static async Task<Ok<ServerStatus>> Status(
        JobBrowser browser, DefinitionCatalog catalog, IEnumerable<IJobManager> managers, OpusOptions options, JobFeed feed,
        IDbContextFactory<OpusDbContext> contexts, IServiceProvider services, CancellationToken ct)
    {
        var counts = await browser.CountAllAsync(ct);
        var slurm = services.GetService<Opus.Core.Execution.SlurmManager>();

        var (files, bytes, complete) = StoreSize(options.StorePath);
        long? free = null;
        try
        {
            free = new DriveInfo(options.FullDataPath).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
        }

        return TypedResults.Ok(new ServerStatus(typeof(ClientApiEndpoints).Assembly.GetName().Version?.ToString(), UwsTime.Format(Started), PerPhase(counts),
            catalog.All.Count, managers.Select(m => m.Name).ToList(), options.MaxConcurrentJobs, options.MaxActiveJobsPerUser, feed.SubscriberCount, Cluster(slurm, options),
            new StorageStatus(options.Storage.Provider, options.FullDataPath, await DatabaseBytesAsync(contexts, ct), files, bytes, complete, free)));
    }

    /// <summary>Whether the SLURM cluster answers; null without SLURM.</summary>
    private static ClusterStatus? Cluster(Opus.Core.Execution.SlurmManager? slurm, OpusOptions options) => slurm is null ? null
        : new ClusterStatus(options.Slurm.Transport, slurm.Unreachable is null, slurm.Unreachable is null ? null : $"the cluster is unreachable: {slurm.Unreachable}",
            slurm.UnreachableSince is { } since ? UwsTime.Format(since.UtcDateTime) : null);

    /// <summary>A count for every phase, zero included, in the phases' order.</summary>
    private static Dictionary<string, int> PerPhase(IReadOnlyDictionary<JobPhase, int> counts) =>
        Enum.GetValues<JobPhase>().ToDictionary(p => p.ToString(), p => counts.GetValueOrDefault(p));

    /// <summary>
    /// The database's size: PostgreSQL's pg_database_size; for SQLite the file with its write-ahead
    /// log and shared-memory index (-wal, -shm), where recent writes are until a checkpoint.
    /// </summary>
    private static async Task<long?> DatabaseBytesAsync(IDbContextFactory<OpusDbContext> contexts, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (db.Database.IsNpgsql())
            return await db.Database.SqlQueryRaw<long>("SELECT pg_database_size(current_database()) AS \"Value\"").SingleAsync(ct);
        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        if (string.IsNullOrEmpty(file) || !File.Exists(file))
            return null;
        return new[] { file, file + "-wal", file + "-shm" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
    }

    /// <summary>Files and bytes in the store, counting at most 200,000 files (complete = false past that).</summary>
    private static (int Files, long Bytes, bool Complete) StoreSize(string path)
    {
        if (!Directory.Exists(path))
            return (0, 0, true);
        var files = 0;
        long bytes = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            if (++files > 200_000)
                return (files - 1, bytes, false);
            bytes += file.Length;
        }

        return (files, bytes, true);
    }
}

/// <summary>One job change on the event stream (event: job).</summary>
public sealed record JobChangeView(string Id, string Definition, string? Phase, bool Deleted, string At);

/// <summary>A running job's progress report, as the "progress" event carries it.</summary>
public sealed record JobProgressView(string Id, string Definition, int Percent, string Message, string At);

public sealed record Me(string UserName, bool Anonymous, bool Admin, IReadOnlyList<string> Roles, bool Oidc);

public sealed record JobRowView(string Id, string Definition, string Phase, string? RunId, string? Owner, string CreationTime, string? StartTime, string? EndTime);

public sealed record JobPageView(int Total, int Offset, int Limit, string Order, IReadOnlyDictionary<string, int> Counts, IReadOnlyList<JobRowView> Jobs);

public sealed record StorageStatus(string Provider, string DataPath, long? DatabaseBytes, int StoreFiles, long StoreBytes, bool StoreCounted, long? FreeBytes);

public sealed record ServerStatus(string? Version, string StartedAt, IReadOnlyDictionary<string, int> Jobs, int Definitions, IReadOnlyList<string> Managers,
    int MaxConcurrentJobs, int MaxActiveJobsPerUser, int LiveClients, ClusterStatus? Cluster, StorageStatus Storage);

public sealed record ClusterStatus(string Transport, bool Reachable, string? Reason, string? Since);
