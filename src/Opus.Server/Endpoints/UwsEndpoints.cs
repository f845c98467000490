using System.Text;
using Opus.Core;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Storage;
using Opus.Core.Store;
using Opus.Core.Uws;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>The UWS 1.1 REST binding: one job list per definition at /rest/{definition}.</summary>
public static class UwsEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";

    // Control parameters a creation POST may carry (UWS 3.4); the rest are job parameters.
    private static readonly string[] ControlNames = ["PHASE", "RUNID", "EXECUTIONDURATION", "DESTRUCTION"];

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

        job.MapGet("/phase", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
            Results.Text((await jobs.GetAsync(context.Caller(), definition, id, ct)).Phase.ToString(), TextPlain));
        job.MapPost("/phase", PostPhase).DisableAntiforgery();

        job.MapGet("/executionduration", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
            Results.Text((await jobs.GetAsync(context.Caller(), definition, id, ct)).ExecutionDuration.ToString(System.Globalization.CultureInfo.InvariantCulture), TextPlain));
        job.MapPost("/executionduration", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            var value = UwsRequest.Single(form, "EXECUTIONDURATION") ?? throw new OpusValidationException("EXECUTIONDURATION is missing");
            await jobs.SetExecutionDurationAsync(context.Caller(), definition, id, UwsRequest.ParseInt(value, "EXECUTIONDURATION"), ct);
            return SeeJob(context, definition, id);
        }).DisableAntiforgery();

        job.MapGet("/destruction", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
            Results.Text((await jobs.GetAsync(context.Caller(), definition, id, ct)).Destruction is { } d ? UwsTime.Format(d) : "", TextPlain));
        job.MapPost("/destruction", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            var value = UwsRequest.Single(form, "DESTRUCTION") ?? throw new OpusValidationException("DESTRUCTION is missing");
            await jobs.SetDestructionAsync(context.Caller(), definition, id, UwsRequest.ParseInstant(value, "DESTRUCTION"), ct);
            return SeeJob(context, definition, id);
        }).DisableAntiforgery();

        job.MapGet("/quote", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
            Results.Text((await jobs.GetAsync(context.Caller(), definition, id, ct)).Quote is { } q ? UwsTime.Format(q) : "", TextPlain));
        job.MapGet("/owner", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
            Results.Text((await jobs.GetAsync(context.Caller(), definition, id, ct)).Owner ?? "", TextPlain));
        job.MapGet("/error", GetError);

        job.MapGet("/results", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            var found = await jobs.GetAsync(context.Caller(), definition, id, ct);
            return Xml(UwsXml.Render(xml => UwsXml.WriteResults(xml, found, JobUrl(context, definition, id), CanDraw(context))));
        });
        job.MapGet("/results/{result}", GetResult);

        job.MapGet("/parameters", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            var found = await jobs.GetAsync(context.Caller(), definition, id, ct);
            return Xml(UwsXml.Render(xml => UwsXml.WriteParameters(xml, found, JobUrl(context, definition, id))));
        });
        job.MapPost("/parameters", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            // taplint posts runId here too (E-UWS-PORE-1): applied as RUNID, never taken for a job parameter.
            if (form.Count == 0)
                throw new OpusValidationException("nothing to change: send job parameters or RUNID");
            var parameters = Pairs(form, ["RUNID"]);
            if (parameters.Count > 0)
                await jobs.SetParametersAsync(context.Caller(), definition, id, parameters, ct);
            if (UwsRequest.Single(form, "RUNID") is { } runId)
                await jobs.SetRunIdAsync(context.Caller(), definition, id, runId, ct);
            return SeeJob(context, definition, id);
        }).DisableAntiforgery();
        job.MapGet("/parameters/{name}", GetParameter);
        job.MapPost("/parameters/{name}", SetParameter).DisableAntiforgery();
        job.MapPut("/parameters/{name}", SetParameter);

        job.MapGet("/stdout", (string definition, string id, HttpContext context, JobService jobs, JobWorkspace workspace, CancellationToken ct) =>
            LogFile(context, definition, id, jobs, workspace.StdoutPath(id), ct));
        job.MapGet("/stderr", (string definition, string id, HttpContext context, JobService jobs, JobWorkspace workspace, CancellationToken ct) =>
            LogFile(context, definition, id, jobs, workspace.StderrPath(id), ct));
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
        var created = await jobs.CreateAsync(context.Caller(), new JobCreation
        {
            Definition = definition,
            Parameters = Pairs(form, ControlNames),
            Uploads = form.Files.Select(f => new JobUpload(f.Name, f.FileName, f.OpenReadStream)).ToList(),
            RunId = UwsRequest.Single(form, "RUNID"),
            ExecutionDuration = duration is null ? null : UwsRequest.ParseInt(duration, "EXECUTIONDURATION"),
            Destruction = destruction is null ? null : UwsRequest.ParseInstant(destruction, "DESTRUCTION"),
            Run = phase is not null,
        }, ct);
        return SeeJob(context, definition, created.Id);
    }

    private static async Task<IResult> GetJob(string definition, string id, HttpContext context, JobService jobs, Opus.Core.Operations.OpusMetrics metrics, CancellationToken ct)
    {
        var query = context.Request.Query;
        Job job;
        if (UwsRequest.Single(query, "WAIT") is { } wait)
        {
            var seconds = UwsRequest.ParseInt(wait, "WAIT");
            JobPhase? expected = UwsRequest.Single(query, "PHASE") is { } p ? UwsRequest.ParsePhase(p, "PHASE") : null;
            using var waiting = metrics.Waiting();
            job = await jobs.WaitAsync(context.Caller(), definition, id, seconds, expected, ct);
        }
        else
        {
            job = await jobs.GetAsync(context.Caller(), definition, id, ct);
        }

        return Xml(UwsXml.Render(xml => UwsXml.WriteJob(xml, job, JobUrl(context, definition, id), CanDraw(context))));
    }

    private static async Task<IResult> PostJob(string definition, string id, HttpContext context, JobService jobs, CancellationToken ct)
    {
        var form = await UwsRequest.ReadFormAsync(context.Request, ct);
        if (UwsRequest.Single(form, "ACTION") is { } action)
        {
            if (!action.Equals("DELETE", StringComparison.OrdinalIgnoreCase))
                throw new OpusValidationException($"ACTION: '{UwsRequest.Shorten(action)}' is not supported; only ACTION=DELETE");
            await jobs.DeleteAsync(context.Caller(), definition, id, ct);
            return SeeList(context, definition);
        }

        if (form.ContainsKey("PHASE"))
            throw new OpusValidationException("PHASE: post it to the job's phase resource (.../phase)");
        if (form.Count == 0)
            throw new OpusValidationException("nothing to change: send job parameters, RUNID, EXECUTIONDURATION, DESTRUCTION or ACTION=DELETE");
        // UWS 9.2: parameters may be updated by posting them to the job while it is PENDING.
        var parameters = Pairs(form, ControlNames);
        if (parameters.Count > 0)
            await jobs.SetParametersAsync(context.Caller(), definition, id, parameters, ct);
        await ApplyControlsAsync(context, definition, id, form, jobs, ct);
        return SeeJob(context, definition, id);
    }

    private static async Task ApplyControlsAsync(HttpContext context, string definition, string id, IFormCollection form, JobService jobs, CancellationToken ct)
    {
        if (UwsRequest.Single(form, "RUNID") is { } runId)
            await jobs.SetRunIdAsync(context.Caller(), definition, id, runId, ct);
        if (UwsRequest.Single(form, "EXECUTIONDURATION") is { } duration)
            await jobs.SetExecutionDurationAsync(context.Caller(), definition, id, UwsRequest.ParseInt(duration, "EXECUTIONDURATION"), ct);
        if (UwsRequest.Single(form, "DESTRUCTION") is { } destruction)
            await jobs.SetDestructionAsync(context.Caller(), definition, id, UwsRequest.ParseInstant(destruction, "DESTRUCTION"), ct);
    }

    private static async Task<IResult> DeleteJob(string definition, string id, HttpContext context, JobService jobs, CancellationToken ct)
    {
        await jobs.DeleteAsync(context.Caller(), definition, id, ct);
        return SeeList(context, definition);
    }

    private static async Task<IResult> PostPhase(string definition, string id, HttpContext context, JobService jobs, OpusOptions options, CancellationToken ct)
    {
        var form = await UwsRequest.ReadFormAsync(context.Request, ct);
        var phase = UwsRequest.Single(form, "PHASE") ?? throw new OpusValidationException("PHASE is missing; send PHASE=RUN or PHASE=ABORT");
        switch (phase.ToUpperInvariant())
        {
            case "RUN":
                // As at creation: refused whole (the job stays PENDING, to be run later) rather than failed half-prepared.
                StorageErrors.RequireFreeSpace(options.FullDataPath);
                await jobs.RunAsync(context.Caller(), definition, id, ct);
                break;
            case "ABORT":
                await jobs.AbortAsync(context.Caller(), definition, id, ct);
                break;
            default:
                throw new OpusValidationException($"PHASE: '{UwsRequest.Shorten(phase)}' is not an action; send PHASE=RUN or PHASE=ABORT");
        }

        return SeeJob(context, definition, id);
    }

    private static async Task<IResult> GetError(string definition, string id, HttpContext context, JobService jobs, JobWorkspace workspace, CancellationToken ct)
    {
        var job = await jobs.GetAsync(context.Caller(), definition, id, ct);
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

    private static async Task<IResult> GetResult(string definition, string id, string result, HttpContext context, JobService jobs, EntityStore store, CancellationToken ct)
    {
        var job = await jobs.GetAsync(context.Caller(), definition, id, ct);
        // The provenance results a COMPLETED job lists (provjson...) are served here too.
        if (job.Phase == JobPhase.COMPLETED && job.Results.All(r => r.Id != result) && ProvenanceEndpoints.JobResultFormat(result) is { } format)
            return await ProvenanceEndpoints.JobResultAsync(definition, id, format, context, ct);
        var found = job.Results.FirstOrDefault(r => r.Id == result)
            ?? throw new OpusNotFoundException($"job '{id}' has no result '{result}'");
        if (!store.Contains(found.Sha256))
            throw new OpusNotFoundException($"the content of result '{result}' is no longer stored");
        return Results.File(store.OpenRead(found.Sha256), found.MimeType, Path.GetFileName(found.FileName), enableRangeProcessing: true);
    }

    private static async Task<IResult> GetParameter(string definition, string id, string name, HttpContext context, JobService jobs, EntityStore store, CancellationToken ct)
    {
        var job = await jobs.GetAsync(context.Caller(), definition, id, ct);
        var parameter = job.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new OpusNotFoundException($"job '{id}' has no parameter '{name}'");
        if (!parameter.ByReference)
            return Results.Text(parameter.Value, TextPlain);
        // A file input: its content (the first one, for an input that took several files).
        var input = job.Inputs.First(i => i.Sha256 == parameter.Value);
        if (!store.Contains(input.Sha256!))
            throw new OpusNotFoundException($"the content of input '{parameter.Name}' is no longer stored");
        return Results.File(store.OpenRead(input.Sha256!), input.ContentType ?? "application/octet-stream", input.FileName);
    }

    private static async Task<IResult> SetParameter(string definition, string id, string name, HttpContext context, JobService jobs, CancellationToken ct)
    {
        string value;
        if (context.Request.HasFormContentType)
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            value = UwsRequest.Single(form, "VALUE") ?? UwsRequest.Single(form, name)
                ?? throw new OpusValidationException($"send the new value as VALUE=... (or {name}=...)");
        }
        else
        {
            // UWS 9.2: PUT the value itself as the body.
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            value = await reader.ReadToEndAsync(ct);
        }

        await jobs.SetParametersAsync(context.Caller(), definition, id, [new(name, value)], ct);
        return SeeJob(context, definition, id);
    }

    private static async Task<IResult> LogFile(HttpContext context, string definition, string id, JobService jobs, string path, CancellationToken ct)
    {
        await jobs.GetAsync(context.Caller(), definition, id, ct);
        return File.Exists(path)
            ? Results.File(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), TextPlain)
            : Results.Text("", TextPlain);
    }

    private static List<KeyValuePair<string, string>> Pairs(IFormCollection form, string[] exclude) =>
        form.Where(kv => !exclude.Contains(kv.Key, StringComparer.OrdinalIgnoreCase) && !kv.Key.Equals("ACTION", StringComparison.OrdinalIgnoreCase))
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? "")))
            .ToList();

    private static bool CanDraw(HttpContext context) => context.RequestServices.GetRequiredService<GraphvizRenderer>().IsAvailable;

    private static IResult Xml(byte[] document) => Results.Bytes(document, UwsXml.ContentType);

    internal static string ListUrl(HttpContext context, string definition) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/rest/{Uri.EscapeDataString(definition)}";

    internal static string JobUrl(HttpContext context, string definition, string id) =>
        $"{ListUrl(context, definition)}/{Uri.EscapeDataString(id)}";

    private static IResult SeeJob(HttpContext context, string definition, string id) => SeeOther(context, JobUrl(context, definition, id));

    // After a delete, a short list: the newest jobs (UWS 2.7) rather than every job ever kept.
    private static IResult SeeList(HttpContext context, string definition) => SeeOther(context, ListUrl(context, definition) + "?LAST=100");

    private static IResult SeeOther(HttpContext context, string location)
    {
        context.Response.Headers.Location = location;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }
}
