using System.Text;
using Opus.Core;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Storage;
using Opus.Core.Sessions;
using Opus.Core.Store;
using Opus.Core.Users;
using Opus.Core.Uws;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>The UWS 1.1 REST binding: one job list per definition at /rest/{definition}.</summary>
public static class UwsEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";

    // Control parameters a creation POST may carry (UWS 3.4); the rest are job parameters.
    private static readonly string[] ControlNames = ["PHASE", "RUNID", "EXECUTIONDURATION", "DESTRUCTION", "NOTIFY"];

    public static void MapUws(this IEndpointRouteBuilder app)
    {
        // Only the job lists the caller may use, as /jdl lists only their definitions.
        app.MapGet("/rest", (HttpContext context, Opus.Core.Definitions.DefinitionCatalog catalog) =>
            Results.Text(string.Join("\n", catalog.All.Where(d => context.Caller().MayUse(d.Name)).Select(d => d.Name)) + "\n", TextPlain));

        var list = app.MapGroup("/rest/{definition}");
        list.MapGet("", ListJobs);
        list.MapPost("", CreateJob).DisableAntiforgery();

        var job = list.MapGroup("/{id}");
        job.MapGet("", GetJob);
        job.MapPost("", PostJob).DisableAntiforgery();
        job.MapDelete("", DeleteJob);

        job.MapGet("/phase", async ([AsParameters] JobRoute route) => TypedResults.Text((await route.GetAsync()).Phase.ToString(), TextPlain));
        job.MapPost("/phase", PostPhase).DisableAntiforgery();

        job.MapGet("/executionduration", async ([AsParameters] JobRoute route) =>
            TypedResults.Text((await route.GetAsync()).ExecutionDuration.ToString(System.Globalization.CultureInfo.InvariantCulture), TextPlain));
        job.MapPost("/executionduration", async ([AsParameters] JobRoute route) =>
        {
            var value = UwsRequest.Single(await route.ReadFormAsync(), "EXECUTIONDURATION") ?? throw new OpusValidationException("EXECUTIONDURATION is missing");
            await route.Jobs.SetExecutionDurationAsync(route.Caller, route.Definition, route.Id, UwsRequest.ParseInt(value, "EXECUTIONDURATION"), route.Ct);
            return route.SeeJob();
        }).DisableAntiforgery();

        job.MapGet("/destruction", async ([AsParameters] JobRoute route) =>
            TypedResults.Text((await route.GetAsync()).Destruction is { } d ? UwsTime.Format(d) : "", TextPlain));
        job.MapPost("/destruction", async ([AsParameters] JobRoute route) =>
        {
            var value = UwsRequest.Single(await route.ReadFormAsync(), "DESTRUCTION") ?? throw new OpusValidationException("DESTRUCTION is missing");
            await route.Jobs.SetDestructionAsync(route.Caller, route.Definition, route.Id, UwsRequest.ParseInstant(value, "DESTRUCTION"), route.Ct);
            return route.SeeJob();
        }).DisableAntiforgery();

        job.MapGet("/quote", async ([AsParameters] JobRoute route) => TypedResults.Text((await route.GetAsync()).Quote is { } q ? UwsTime.Format(q) : "", TextPlain));
        job.MapGet("/owner", async ([AsParameters] JobRoute route) => TypedResults.Text((await route.GetAsync()).Owner ?? "", TextPlain));
        job.MapGet("/error", GetError);

        job.MapGet("/results", async ([AsParameters] JobRoute route) =>
        {
            var found = await route.GetAsync();
            return Xml(UwsXml.Render(xml => UwsXml.WriteResults(xml, found, route.Url, CanDraw(route.Context))));
        });
        job.MapGet("/results/{result}", GetResult);
        // Every result in one zip, streamed (an Opus extension, see ResultsZip).
        job.MapGet("/results.zip", ResultsZip.JobAsync);

        job.MapGet("/parameters", async ([AsParameters] JobRoute route) =>
        {
            var found = await route.GetAsync();
            return Xml(UwsXml.Render(xml => UwsXml.WriteParameters(xml, found, route.Url)));
        });
        job.MapPost("/parameters", async ([AsParameters] JobRoute route) =>
        {
            var form = await route.ReadFormAsync();
            // taplint posts runId here too (E-UWS-PORE-1): applied as RUNID, never taken for a job parameter.
            if (form.Count == 0)
                throw new OpusValidationException("nothing to change: send job parameters or RUNID");
            var parameters = Pairs(form, ["RUNID"]);
            if (parameters.Count > 0)
                await route.Jobs.SetParametersAsync(route.Caller, route.Definition, route.Id, parameters, route.Ct);
            if (UwsRequest.Single(form, "RUNID") is { } runId)
                await route.Jobs.SetRunIdAsync(route.Caller, route.Definition, route.Id, runId, route.Ct);
            return route.SeeJob();
        }).DisableAntiforgery();
        job.MapGet("/parameters/{name}", GetParameter);
        job.MapPost("/parameters/{name}", SetParameter).DisableAntiforgery();
        job.MapPut("/parameters/{name}", SetParameter);

        job.MapGet("/stdout", ([AsParameters] JobRoute route, JobFiles files) => LogFile(route, JobLog.Stdout, files));
        job.MapGet("/stderr", ([AsParameters] JobRoute route, JobFiles files) => LogFile(route, JobLog.Stderr, files));
    }

    private static async Task<IResult> ListJobs(string definition, HttpContext context, JobService jobs, CancellationToken ct)
    {
        var query = context.Request.Query;
        var phases = query.TryGetValue("PHASE", out var phaseValues)
            ? phaseValues.Select(p => UwsRequest.ParsePhase(p ?? "", "PHASE")).ToList()
            : null;
        DateTime? after = UwsRequest.Single(query, "AFTER") is { } a ? UwsRequest.ParseInstant(a, "AFTER") : null;
        int? last = null;
        if (UwsRequest.Single(query, "LAST") is { } l)
        {
            last = UwsRequest.ParseInt(l, "LAST");
            if (last <= 0)
                throw new OpusValidationException($"LAST: {last} must be a positive integer");
        }

        // Resolve the definition before the response starts, so an unknown list is a clean 404.
        var caller = context.Caller();
        var summaries = jobs.ListAsync(caller, new JobQuery(definition, phases, after, last), ct);
        // Admins see every owner's jobs, so the list says whose they are.
        return new StreamedXml(stream => UwsXml.WriteJobListAsync(stream, summaries, ListUrl(context, definition), showOwner: caller.IsAdmin, ct));
    }

    private static async Task<IResult> CreateJob(string definition, HttpContext context, JobService jobs, OpusOptions options, CancellationToken ct)
    {
        var form = await UwsRequest.ReadFormAsync(context.Request, ct);
        // A job created on a full disk would fail half-written: refused (507) before anything is stored.
        StorageErrors.RequireFreeSpace(options.FullDataPath);
        var phase = UwsRequest.Single(form, "PHASE");
        if (phase is not null && !phase.Equals("RUN", StringComparison.OrdinalIgnoreCase))
            throw new OpusValidationException($"PHASE: '{UwsRequest.Shorten(phase)}' cannot be given at creation; only PHASE=RUN");
        var duration = UwsRequest.Single(form, "EXECUTIONDURATION");
        var destruction = UwsRequest.Single(form, "DESTRUCTION");
        var notify = UwsRequest.Single(form, "NOTIFY");
        var created = await jobs.CreateAsync(context.Caller(), new JobCreation
        {
            Definition = definition,
            Parameters = Pairs(form, ControlNames),
            Uploads = form.Files.Select(f => new JobUpload(f.Name, f.FileName, f.OpenReadStream)).ToList(),
            RunId = UwsRequest.Single(form, "RUNID"),
            ExecutionDuration = duration is null ? null : UwsRequest.ParseInt(duration, "EXECUTIONDURATION"),
            Destruction = destruction is null ? null : UwsRequest.ParseInstant(destruction, "DESTRUCTION"),
            Run = phase is not null,
            Notify = notify is null ? null : UwsRequest.ParseBool(notify, "NOTIFY"),
        }, ct);
        return SeeJob(context, definition, created.Id);
    }

    private static async Task<IResult> GetJob([AsParameters] JobRoute route, Opus.Core.Operations.OpusMetrics metrics)
    {
        var query = route.Context.Request.Query;
        Job job;
        if (UwsRequest.Single(query, "WAIT") is { } wait)
        {
            var seconds = UwsRequest.ParseInt(wait, "WAIT");
            JobPhase? expected = UwsRequest.Single(query, "PHASE") is { } p ? UwsRequest.ParsePhase(p, "PHASE") : null;
            using var waiting = metrics.Waiting();
            job = await route.Jobs.WaitAsync(route.Caller, route.Definition, route.Id, seconds, expected, route.Ct);
            return Xml(RenderOnce(job, route.Url, CanDraw(route.Context)));
        }
        else
        {
            job = await route.GetAsync();
        }

        return Xml(UwsXml.Render(xml => UwsXml.WriteJob(xml, job, route.Url, CanDraw(route.Context))));
    }

    private static async Task<IResult> PostJob([AsParameters] JobRoute route)
    {
        var form = await route.ReadFormAsync();
        if (UwsRequest.Single(form, "ACTION") is { } action)
        {
            if (!action.Equals("DELETE", StringComparison.OrdinalIgnoreCase))
                throw new OpusValidationException($"ACTION: '{UwsRequest.Shorten(action)}' is not supported; only ACTION=DELETE");
            return await DeleteJob(route);
        }

        if (form.ContainsKey("PHASE"))
            throw new OpusValidationException("PHASE: post it to the job's phase resource (.../phase)");
        if (form.Count == 0)
            throw new OpusValidationException("nothing to change: send job parameters, RUNID, EXECUTIONDURATION, DESTRUCTION or ACTION=DELETE");
        // UWS 9.2: parameters may be updated by posting them to the job while it is PENDING.
        var parameters = Pairs(form, ControlNames);
        if (parameters.Count > 0)
            await route.Jobs.SetParametersAsync(route.Caller, route.Definition, route.Id, parameters, route.Ct);
        if (UwsRequest.Single(form, "RUNID") is { } runId)
            await route.Jobs.SetRunIdAsync(route.Caller, route.Definition, route.Id, runId, route.Ct);
        if (UwsRequest.Single(form, "EXECUTIONDURATION") is { } duration)
            await route.Jobs.SetExecutionDurationAsync(route.Caller, route.Definition, route.Id, UwsRequest.ParseInt(duration, "EXECUTIONDURATION"), route.Ct);
        if (UwsRequest.Single(form, "DESTRUCTION") is { } destruction)
            await route.Jobs.SetDestructionAsync(route.Caller, route.Definition, route.Id, UwsRequest.ParseInstant(destruction, "DESTRUCTION"), route.Ct);
        return route.SeeJob();
    }

    private static async Task<IResult> DeleteJob([AsParameters] JobRoute route)
    {
        await route.Jobs.DeleteAsync(route.Caller, route.Definition, route.Id, route.Ct);
        return SeeList(route.Context, route.Definition);
    }

    private static async Task<IResult> PostPhase([AsParameters] JobRoute route, OpusOptions options)
    {
        var phase = UwsRequest.Single(await route.ReadFormAsync(), "PHASE") ?? throw new OpusValidationException("PHASE is missing; send PHASE=RUN or PHASE=ABORT");
        switch (phase.ToUpperInvariant())
        {
            case "RUN":
                // As at creation: refused whole (the job stays PENDING, to be run later) rather than failed half-prepared.
                StorageErrors.RequireFreeSpace(options.FullDataPath);
                await route.Jobs.RunAsync(route.Caller, route.Definition, route.Id, route.Ct);
                break;
            case "ABORT":
                await route.Jobs.AbortAsync(route.Caller, route.Definition, route.Id, route.Ct);
                break;
            default:
                throw new OpusValidationException($"PHASE: '{UwsRequest.Shorten(phase)}' is not an action; send PHASE=RUN or PHASE=ABORT");
        }

        return route.SeeJob();
    }

    private static async Task<IResult> GetError([AsParameters] JobRoute route, JobWorkspace workspace)
    {
        var (job, id, ct) = (await route.GetAsync(), route.Id, route.Ct);
        if (job.Phase != JobPhase.ERROR)
            return Results.Text("", TextPlain);
        var text = new StringBuilder().AppendLine(job.ErrorMessage);
        var stderr = workspace.StderrPath(id);
        if (File.Exists(stderr))
        {
            text.AppendLine().AppendLine("--- standard error (last 64 KiB) ---");
            await using var stream = new FileStream(stderr, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(0, stream.Length - 65536), SeekOrigin.Begin);
            text.Append(workspace.WithoutServerPaths(id, await new StreamReader(stream).ReadToEndAsync(ct)));
        }

        return Results.Text(text.ToString(), TextPlain);
    }

    private static async Task<IResult> GetResult([AsParameters] JobRoute route, string result, JobFiles files)
    {
        // The provenance results a COMPLETED job lists (provjson...) are served here too.
        if (ProvenanceEndpoints.JobResultFormat(result) is not null
            && ProvenanceEndpoints.ListedJobResultFormat(await route.GetAsync(), result) is { } format)
            return await ProvenanceEndpoints.JobResultAsync(route.Definition, route.Id, format, route.Context, route.Ct);
        var (found, content) = await files.OpenResultAsync(route.Caller, route.Definition, route.Id, result, route.Ct);
        return Results.File(content, found.MimeType, Path.GetFileName(found.FileName), enableRangeProcessing: true);
    }

    private static async Task<IResult> GetParameter([AsParameters] JobRoute route, string name, EntityStore store)
    {
        var job = await route.GetAsync();
        var parameter = job.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new OpusNotFoundException($"job '{route.Id}' has no parameter '{name}'");
        if (!parameter.ByReference)
            return Results.Text(parameter.Value, TextPlain);
        // A file input: its content (the first one, for an input that took several files).
        var input = job.Inputs.First(i => i.Sha256 == parameter.Value);
        if (!store.Contains(input.Sha256!))
            throw new OpusNotFoundException($"the content of input '{parameter.Name}' is no longer stored");
        return Results.File(store.OpenRead(input.Sha256!), input.ContentType ?? "application/octet-stream", input.FileName);
    }

    private static async Task<IResult> SetParameter([AsParameters] JobRoute route, string name)
    {
        string value;
        if (route.Context.Request.HasFormContentType)
        {
            var form = await route.ReadFormAsync();
            value = UwsRequest.Single(form, "VALUE") ?? UwsRequest.Single(form, name)
                ?? throw new OpusValidationException($"send the new value as VALUE=... (or {name}=...)");
        }
        else
        {
            // UWS 9.2: PUT the value itself as the body.
            using var reader = new StreamReader(route.Context.Request.Body, Encoding.UTF8);
            value = await reader.ReadToEndAsync(route.Ct);
        }

        await route.Jobs.SetParametersAsync(route.Caller, route.Definition, route.Id, [new(name, value)], route.Ct);
        return route.SeeJob();
    }

    private static async Task<IResult> LogFile(JobRoute route, JobLog log, JobFiles files) =>
        await files.OpenLogAsync(route.Caller, route.Definition, route.Id, log, route.Ct) is { } content
            // Ranges: the job page follows a running job's output by asking for the bytes after those it has.
            ? Results.File(content, TextPlain, enableRangeProcessing: true)
            : Results.Text("", TextPlain);

    private static List<KeyValuePair<string, string>> Pairs(IFormCollection form, string[] exclude) =>
        form.Where(kv => !exclude.Contains(kv.Key, StringComparer.OrdinalIgnoreCase) && !kv.Key.Equals("ACTION", StringComparison.OrdinalIgnoreCase))
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? "")))
            .ToList();

    // Every waiter a change wakes holds the same Job (one read for them all): its document is rendered once for them all.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Job, RenderedJob> RenderedAfterWait = new();

    private sealed record RenderedJob(string Url, bool CanDraw, byte[] Document);

    private static byte[] RenderOnce(Job job, string url, bool canDraw)
    {
        if (RenderedAfterWait.TryGetValue(job, out var rendered) && rendered.Url == url && rendered.CanDraw == canDraw)
            return rendered.Document;
        var document = UwsXml.Render(xml => UwsXml.WriteJob(xml, job, url, canDraw));
        RenderedAfterWait.AddOrUpdate(job, new RenderedJob(url, canDraw, document));
        return document;
    }

    private static bool CanDraw(HttpContext context) => context.RequestServices.GetRequiredService<GraphvizRenderer>().IsAvailable;

    private static IResult Xml(byte[] document) => new RenderedXml(document);

    internal static string ListUrl(HttpContext context, string definition) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/rest/{Uri.EscapeDataString(definition)}";

    internal static string JobUrl(HttpContext context, string definition, string id) =>
        $"{ListUrl(context, definition)}/{Uri.EscapeDataString(id)}";

    internal static IResult SeeJob(HttpContext context, string definition, string id) => SeeOther(context, JobUrl(context, definition, id));

    // After a delete, a short list: the newest jobs (UWS 2.7) rather than every job ever kept.
    private static IResult SeeList(HttpContext context, string definition) => SeeOther(context, ListUrl(context, definition) + "?LAST=100");

    private static IResult SeeOther(HttpContext context, string location)
    {
        context.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }
}

/// <summary>What every request to one job carries: its list and id from the route, the caller, the job service.</summary>
public readonly record struct JobRoute(string Definition, string Id, HttpContext Context, JobService Jobs, CancellationToken Ct)
{
    public Caller Caller => Context.Caller();

    public string Url => UwsEndpoints.JobUrl(Context, Definition, Id);

    /// <summary>The job, if the caller may read it (others' jobs are "not found").</summary>
    public Task<Job> GetAsync() => Jobs.GetAsync(Caller, Definition, Id, Ct);

    public Task<IFormCollection> ReadFormAsync() => UwsRequest.ReadFormAsync(Context.Request, Ct);

    public IResult SeeJob() => UwsEndpoints.SeeJob(Context, Definition, Id);
}
