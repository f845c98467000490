using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Server.Endpoints;

/// <summary>
/// Staging over HTTP (Opus:Slurm:Staging=http): a node fetches its job's bundle and sends its files back. Only
/// the job's own callback token counts (403 otherwise, also for an unknown job), and only while the job is
/// active and its end not yet claimed (409 after).
/// </summary>
public static class StagingEndpoints
{
    public static void MapStaging(this IEndpointRouteBuilder app)
    {
        // A tar stream, made as it is sent: GNU tar reads it from a pipe (staged-batch.sh).
        app.MapGet("/jobs/{id}/bundle", async (HttpContext context, string id, string? root, JobRepository jobs, JobEvents events, HttpStaging staging, CancellationToken ct) =>
        {
            if (await RefusalAsync(context, id, jobs, events, ct) is { } refused)
                return refused;
            var folder = HttpStaging.CheckRoot(root);
            var job = (await jobs.FindAsync(id, ct))!;
            return Results.Stream(body => staging.WriteBundleAsync(job, folder, body, ct), "application/x-tar");
        }).AllowAnonymous();

        // The file's path in the job's folder (stdout.log, stderr.log, runner.log, events, work/PATH), its SHA-256 in X-Opus-Sha256.
        app.MapPut("/jobs/{id}/files/{**name}", async (HttpContext context, string id, string name, JobRepository jobs, JobEvents events, HttpStaging staging, CancellationToken ct) =>
        {
            if (await RefusalAsync(context, id, jobs, events, ct) is { } refused)
                return refused;
            // The name as sent, decoded once (the route value keeps %2F encoded and has had dot segments removed): a
            // name is the decoded path, checked as such, so neither "..%2F" nor "/../" slips through.
            var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
            var at = raw.IndexOf("/files/", StringComparison.Ordinal);
            var path = Uri.UnescapeDataString(at < 0 ? name : raw[(at + "/files/".Length)..].Split('?')[0]);
            await staging.ReceiveAsync(id, path, context.Request.Headers[HttpStaging.Sha256Header].ToString() is { Length: > 0 } sha ? sha : null,
                context.Request.ContentLength, context.Request.Body,
                async token => await jobs.FindAsync(id, token) is { } now && IsOpen(now), ct);
            return Results.NoContent();
        }).AllowAnonymous().DisableAntiforgery();
    }

    private static bool IsOpen(Job job) => job.Phase.IsActive() && job.Finishing is null;

    /// <summary>403 without the job's own token, 409 once the job has ended (or its end is being collected); null when allowed.</summary>
    private static async Task<IResult?> RefusalAsync(HttpContext context, string id, JobRepository jobs, JobEvents events, CancellationToken ct)
    {
        var job = await jobs.FindAsync(id, ct);
        if (job is null || JobEventEndpoints.BearerOf(context.Request) is not { } token || !await events.IsCallbackTokenAsync(id, token, ct))
            return Results.Text("not a valid token for this job\n", "text/plain", statusCode: StatusCodes.Status403Forbidden);
        if (!IsOpen(job))
            return Results.Text($"the job is {job.Phase}{(job.Finishing is null ? "" : ", its end being collected")}: its files can no longer be fetched or changed\n",
                "text/plain", statusCode: StatusCodes.Status409Conflict);
        return null;
    }
}
