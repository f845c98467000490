using System.Globalization;
using Opus.Core;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// Signed result links: the job's owner (or an admin) asks for a link to one result, which anybody holding it
/// may GET without credentials until it expires, or until the job is deleted (its record gone, the link finds nothing).
/// </summary>
public static class SignedLinkEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";
    private const string SignatureKey = "sig";
    private const string ExpiresKey = "exp";

    /// <summary>POST /rest/{definition}/{id}/results/{result}/link [EXPIRES=seconds]: the signed URL, one line.</summary>
    public static void MapResultLinks(this IEndpointRouteBuilder app) =>
        app.MapPost("/rest/{definition}/{id}/results/{result}/link", CreateLink).DisableAntiforgery();

    /// <summary>
    /// Before authentication: a GET of a result with a signature is answered here, with no caller, when the signature
    /// holds; refused with 403 when it does not. Requests without one go on to authentication as usual.
    /// </summary>
    public static IApplicationBuilder UseSignedResultLinks(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsGet(context.Request.Method) || !context.Request.Query.ContainsKey(SignatureKey)
                || ResultPath(context.Request.Path) is not var (definition, id, result))
            {
                await next(context);
                return;
            }

            await ServeSignedAsync(context, definition, id, result);
        });

    private static async Task<IResult> CreateLink(string definition, string id, string result, HttpContext context, JobService jobs, ResultLinkSigner signer, OpusOptions options, CancellationToken ct)
    {
        var form = await UwsRequest.ReadFormAsync(context.Request, ct);
        var asked = UwsRequest.Single(form, "EXPIRES") ?? UwsRequest.Single(context.Request.Query, "EXPIRES");
        var seconds = asked is null ? options.ResultLinks.DefaultSeconds : UwsRequest.ParseInt(asked, "EXPIRES");
        if (seconds < 1 || seconds > options.ResultLinks.MaxSeconds)
            throw new OpusValidationException($"EXPIRES: {seconds} is not between 1 and {options.ResultLinks.MaxSeconds} seconds");

        // Owner or admin: another user's job is "not found", as everywhere.
        var job = await jobs.GetAsync(context.Caller(), definition, id, ct);
        // Its stored results, and the provenance documents a COMPLETED job lists (provjson...), drawn when read.
        if (job.Results.All(r => r.Id != result) && ProvenanceEndpoints.ListedJobResultFormat(job, result) is null)
            throw new OpusNotFoundException($"job '{id}' has no result '{result}'");

        var expires = DateTimeOffset.UtcNow.AddSeconds(seconds).ToUnixTimeSeconds();
        var signature = signer.Sign(definition, id, result, expires);
        var url = $"{UwsEndpoints.JobUrl(context, definition, id)}/results/{Uri.EscapeDataString(result)}?{SignatureKey}={signature}&{ExpiresKey}={expires.ToString(CultureInfo.InvariantCulture)}";
        return Results.Text(url + "\n", TextPlain);
    }

    private static async Task ServeSignedAsync(HttpContext context, string definition, string id, string result)
    {
        var signer = context.RequestServices.GetRequiredService<ResultLinkSigner>();
        var query = context.Request.Query;
        var refusal = query[SignatureKey].Count != 1 || query[ExpiresKey].Count > 1
            ? "give sig and exp once each"
            : signer.Refusal(definition, id, result, query[ExpiresKey], query[SignatureKey], DateTimeOffset.UtcNow);
        if (refusal is not null)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = TextPlain;
            await context.Response.WriteAsync(refusal + "\n");
            return;
        }

        // The signature names this job and result; the job's own permissions were checked when the link was made.
        var ct = context.RequestAborted;
        var job = await context.RequestServices.GetRequiredService<JobService>().GetAsync(Caller.System, definition, id, ct);
        if (ProvenanceEndpoints.ListedJobResultFormat(job, result) is { } format)
        {
            await (await ProvenanceEndpoints.SignedJobResultAsync(job, format, context, ct)).ExecuteAsync(context);
            return;
        }

        var files = context.RequestServices.GetRequiredService<JobFiles>();
        var (found, content) = await files.OpenResultAsync(Caller.System, definition, id, result, ct);
        await Results.File(content, found.MimeType, Path.GetFileName(found.FileName), enableRangeProcessing: true).ExecuteAsync(context);
    }

    // /rest/{definition}/{id}/results/{result}, as the UWS endpoints route it (the path is already unescaped).
    private static (string Definition, string Id, string Result)? ResultPath(PathString path) =>
        path.Value?.Split('/') is ["", "rest", { Length: > 0 } definition, { Length: > 0 } id, "results", { Length: > 0 } result]
            ? (definition, id, result)
            : null;
}
