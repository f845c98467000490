using System.Text.RegularExpressions;
using Opus.Core;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// ProvSAP (provenance.md section 7): GET /provsap, the per-job shortcut /rest/{definition}/{id}/prov
/// with the same parameters, and a COMPLETED job's provjson, provxml, provsvg and provn (section 5).
/// </summary>
public static partial class ProvenanceEndpoints
{
    public static void MapProvenance(this IEndpointRouteBuilder app)
    {
        app.MapGet("/provsap", (HttpContext context, CancellationToken ct) =>
        {
            var query = ProvSapParameters.Parse(Pairs(context.Request.Query), BaseUrl(context));
            return AnswerAsync(context, context.Caller(), query, ct);
        });

        var job = app.MapGroup("/rest/{definition}/{id}");
        job.MapGet("/prov", async (string definition, string id, HttpContext context, JobService jobs, CancellationToken ct) =>
        {
            // Another user's job is "not found", as on every UWS resource.
            var found = await jobs.GetAsync(context.Caller(), definition, id, ct);
            var query = ProvSapParameters.Parse(Pairs(context.Request.Query), BaseUrl(context), fixedIds: [found.Id]);
            return await AnswerAsync(context, context.Caller(), query, ct);
        });
        foreach (var (name, format) in ProvenanceFormats.JobResults)
            job.MapGet($"/{name}", (string definition, string id, HttpContext context, CancellationToken ct) => JobResultAsync(definition, id, format, context, ct));
    }

    /// <summary>A job's provenance result (DEPTH=1, BACK, IVOA, agents, configuration, no descriptions) in one format.</summary>
    public static async Task<IResult> JobResultAsync(string definition, string id, ProvenanceFormat format, HttpContext context, CancellationToken ct)
    {
        var found = await context.RequestServices.GetRequiredService<JobService>().GetAsync(context.Caller(), definition, id, ct);
        return await AnswerAsync(context, context.Caller(), ProvenanceQuery.ForJobResult(found.Id, format, BaseUrl(context)), ct);
    }

    /// <summary>
    /// The same, read through a signed link (no caller): the document shows what the job's owner may see, never more,
    /// whoever made the link.
    /// </summary>
    public static Task<IResult> SignedJobResultAsync(Job job, ProvenanceFormat format, HttpContext context, CancellationToken ct)
    {
        var owner = job.Owner is { } name ? new Caller(name, []) : new Caller("anonymous", [], Anonymous: true);
        return AnswerAsync(context, owner, ProvenanceQuery.ForJobResult(job.Id, format, BaseUrl(context)), ct);
    }

    /// <summary>The name of a job's provenance result, or null.</summary>
    public static ProvenanceFormat? JobResultFormat(string name) =>
        ProvenanceFormats.JobResults.Where(r => r.Name == name).Select(r => (ProvenanceFormat?)r.Format).FirstOrDefault();

    /// <summary>The format of <paramref name="name"/> when it is a provenance result the job lists (COMPLETED, no stored result of that name); else null.</summary>
    public static ProvenanceFormat? ListedJobResultFormat(Job job, string name) =>
        job.Phase == JobPhase.COMPLETED && job.Results.All(r => r.Id != name) ? JobResultFormat(name) : null;

    private static async Task<IResult> AnswerAsync(HttpContext context, Caller caller, ProvenanceQuery query, CancellationToken ct)
    {
        var provenance = context.RequestServices.GetRequiredService<ProvenanceService>();
        var document = await provenance.QueryAsync(caller, query, ct);
        using var buffer = new MemoryStream();
        try
        {
            await provenance.WriteAsync(document, query.Format, buffer, query, ct);
        }
        catch (ProvenanceRenderException e)
        {
            // Not the caller's fault: 503 when this server cannot draw at all (no Graphviz), 500 when a drawing
            // failed; either with a message that says what is missing (section 7.5).
            context.RequestServices.GetRequiredService<ILogger<ProvenanceService>>().LogError("PROV drawing failed: {Reason}", e.Message);
            var status = e.ToolMissing ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
            return Results.Text(e.Message.ReplaceLineEndings(" ") + "\n", "text/plain; charset=utf-8", statusCode: status);
        }

        var name = "provsap_" + string.Join("_", query.Ids.Select(i => UnsafeFileCharacters().Replace(i, "_"))) + query.Format.ExtensionOf();
        context.Response.Headers.ContentDisposition = $"inline; filename=\"{name}\"";
        return Results.Bytes(buffer.ToArray(), query.Format.ContentTypeOf());
    }

    /// <summary>BASE of the identifiers: Opus:Provenance:BaseUrl when configured, else the address the request came to.</summary>
    private static string BaseUrl(HttpContext context)
    {
        var configured = context.RequestServices.GetRequiredService<OpusOptions>().Provenance.BaseUrl;
        return string.IsNullOrWhiteSpace(configured)
            ? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}"
            : configured.TrimEnd('/');
    }

    private static IEnumerable<KeyValuePair<string, string?>> Pairs(IQueryCollection query) =>
        query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeFileCharacters();
}
