using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Opus.Core;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
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
    private const string Json = "application/json";
    // The process's start (not the first call of /status): what "running since" means.
    private static readonly DateTime Started = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public static void MapClientApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/me", (HttpContext context, AuthOptions auth) =>
        {
            var caller = context.Caller();
            return Results.Text(new JsonObject
            {
                ["userName"] = caller.UserName,
                ["anonymous"] = caller.Anonymous,
                ["admin"] = caller.IsAdmin,
                ["roles"] = new JsonArray(caller.Roles.Select(r => (JsonNode)r).ToArray()),
                ["oidc"] = auth.Oidc.Enabled,
            }.ToJsonString(), Json);
        });

        app.MapGet("/jobs", ListJobs);
        app.MapGet("/events", StreamEvents);
        app.MapGet("/status", Status);
        // Reads a definition in any format (body or a multipart file), validates it and answers it in
        // ?format= (json by default); stores nothing. The editor's import, validate and export.
        app.MapPost("/jdl/check", CheckDefinition).DisableAntiforgery();
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

    private static async Task<IResult> ListJobs(HttpContext context, JobBrowser browser, CancellationToken ct)
    {
        var query = context.Request.Query;
        var definitions = query["definition"].Where(d => !string.IsNullOrEmpty(d)).Select(d => d!).ToList();
        var phases = query["phase"].Where(p => !string.IsNullOrEmpty(p)).Select(p => UwsRequest.ParsePhase(p!, "phase")).ToList();
        var offset = UwsRequest.Single(query, "offset") is { } o ? UwsRequest.ParseInt(o, "offset") : 0;
        var limit = UwsRequest.Single(query, "limit") is { } l ? UwsRequest.ParseInt(l, "limit") : 50;
        var order = UwsRequest.Single(query, "order") ?? "desc";
        if (order is not ("asc" or "desc"))
            throw new OpusValidationException($"order: '{UwsRequest.Shorten(order)}' is not asc or desc");

        var page = await browser.PageAsync(context.Caller(), new JobPageQuery(definitions, phases, offset, limit, order == "desc"), ct);
        var counts = new JsonObject();
        foreach (var phase in Enum.GetValues<JobPhase>())
            counts[phase.ToString()] = page.Counts.GetValueOrDefault(phase);
        var jobs = new JsonArray(page.Jobs.Select(j => (JsonNode)new JsonObject
        {
            ["id"] = j.Id,
            ["definition"] = j.Definition,
            ["phase"] = j.Phase.ToString(),
            ["runId"] = j.RunId,
            ["owner"] = j.Owner,
            ["creationTime"] = UwsTime.Format(j.CreationTime),
            ["startTime"] = j.StartTime is { } s ? UwsTime.Format(s) : null,
            ["endTime"] = j.EndTime is { } e ? UwsTime.Format(e) : null,
        }).ToArray());
        context.Response.Headers.CacheControl = "no-store";
        return Results.Text(new JsonObject
        {
            ["total"] = page.Total,
            ["offset"] = offset,
            ["limit"] = limit,
            ["order"] = order,
            ["counts"] = counts,
            ["jobs"] = jobs,
        }.ToJsonString(), Json);
    }

    /// <summary>
    /// text/event-stream: one "job" event per creation, phase change or deletion of a job the caller
    /// may see (optionally of the given definitions), a comment every 15 s to keep proxies from
    /// closing the stream. Ends when the client goes or the server stops.
    /// </summary>
    private static async Task StreamEvents(HttpContext context, JobFeed feed, IHostApplicationLifetime lifetime)
    {
        var caller = context.Caller();
        var definitions = context.Request.Query["definition"].Where(d => !string.IsNullOrEmpty(d)).Select(d => d!).ToHashSet(StringComparer.Ordinal);
        using var subscription = feed.Subscribe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync("retry: 2000\nevent: ready\ndata: {}\n\n", stop.Token);
        await response.Body.FlushAsync(stop.Token);

        var reader = subscription.Changes;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                beat.CancelAfter(TimeSpan.FromSeconds(15));
                bool ready;
                try
                {
                    ready = await reader.WaitToReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", stop.Token);
                    await response.Body.FlushAsync(stop.Token);
                    continue;
                }

                if (!ready)
                    break;
                var text = new StringBuilder();
                while (reader.TryRead(out var change))
                {
                    if (!caller.MayRead(change.Owner) || (definitions.Count > 0 ? !definitions.Contains(change.Definition) : !caller.MayUse(change.Definition)))
                        continue;
                    var data = new JsonObject
                    {
                        ["id"] = change.Id,
                        ["definition"] = change.Definition,
                        ["phase"] = change.Phase?.ToString(),
                        ["deleted"] = change.Phase is null,
                        ["at"] = UwsTime.Format(change.At),
                    };
                    text.Append("event: job\ndata: ").Append(data.ToJsonString()).Append("\n\n");
                }

                if (text.Length > 0)
                {
                    await response.WriteAsync(text.ToString(), stop.Token);
                    await response.Body.FlushAsync(stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client left or the server is stopping: the stream just ends.
        }
    }

    private static async Task<IResult> Status(
        HttpContext context, JobBrowser browser, DefinitionCatalog catalog, IEnumerable<IJobManager> managers, OpusOptions options, JobFeed feed,
        IDbContextFactory<OpusDbContext> contexts, CancellationToken ct)
    {
        if (!context.Caller().IsAdmin)
            throw new OpusStateException("only admins may see the server status");
        var counts = await browser.CountAllAsync(ct);
        var phases = new JsonObject();
        foreach (var phase in Enum.GetValues<JobPhase>())
            phases[phase.ToString()] = counts.GetValueOrDefault(phase);

        var (files, bytes, complete) = StoreSize(options.StorePath);
        long? free = null;
        try
        {
            free = new DriveInfo(options.FullDataPath).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
        }

        return Results.Text(new JsonObject
        {
            ["version"] = typeof(ClientApiEndpoints).Assembly.GetName().Version?.ToString(),
            ["startedAt"] = UwsTime.Format(Started),
            ["jobs"] = phases,
            ["definitions"] = catalog.All.Count,
            ["managers"] = new JsonArray(managers.Select(m => (JsonNode)m.Name).ToArray()),
            ["maxConcurrentJobs"] = options.MaxConcurrentJobs,
            ["maxActiveJobsPerUser"] = options.MaxActiveJobsPerUser,
            ["liveClients"] = feed.SubscriberCount,
            ["cluster"] = context.RequestServices.GetService<Opus.Core.Execution.SlurmManager>() is { } slurm
                ? new JsonObject
                {
                    ["transport"] = options.Slurm.Transport,
                    ["reachable"] = slurm.Unreachable is null,
                    ["reason"] = slurm.Unreachable is null ? null : $"the cluster is unreachable: {slurm.Unreachable}",
                    ["since"] = slurm.UnreachableSince is { } since ? UwsTime.Format(since.UtcDateTime) : null,
                }
                : null,
            ["storage"] = new JsonObject
            {
                ["provider"] = options.Storage.Provider,
                ["dataPath"] = options.FullDataPath,
                ["databaseBytes"] = await DatabaseBytesAsync(contexts, ct),
                ["storeFiles"] = files,
                ["storeBytes"] = bytes,
                ["storeCounted"] = complete,
                ["freeBytes"] = free,
            },
        }.ToJsonString(), Json);
    }

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
