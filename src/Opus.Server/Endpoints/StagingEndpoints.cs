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

        // The file's path in the job's folder (stdout.log, stderr.log, runner.log, events, work/PATH), its SHA-256 in
        // X-Opus-Sha256: 204 once checked and stored; "pending" when it follows: 202 and the upload's id to confirm it with.
        app.MapPut("/jobs/{id}/files/{**name}", async (HttpContext context, string id, string name, JobRepository jobs, JobEvents events, HttpStaging staging, CancellationToken ct) =>
        {
            if (await RefusalAsync(context, id, jobs, events, ct) is { } refused)
                return refused;
            var upload = await staging.ReceiveAsync(id, NameOf(context, name), HeaderOf(context, HttpStaging.Sha256Header),
                context.Request.ContentLength, context.Request.Body, token => StillOpenAsync(jobs, id, token), ct);
            return upload is null ? Results.NoContent() : Results.Text(upload + "\n", "text/plain", statusCode: StatusCodes.Status202Accepted);
        }).AllowAnonymous().DisableAntiforgery();

        // The SHA-256 of an upload kept aside (X-Opus-Upload: its id): 204 once it is the server's hash of what arrived.
        app.MapPost("/jobs/{id}/files/{**name}", async (HttpContext context, string id, string name, JobRepository jobs, JobEvents events, HttpStaging staging, CancellationToken ct) =>
        {
            if (await RefusalAsync(context, id, jobs, events, ct) is { } refused)
                return refused;
            await staging.ConfirmAsync(id, NameOf(context, name), HeaderOf(context, HttpStaging.UploadHeader), HeaderOf(context, HttpStaging.Sha256Header),
                token => StillOpenAsync(jobs, id, token), ct);
            return Results.NoContent();
        }).AllowAnonymous().DisableAntiforgery();
    }

    /// <summary>
    /// The name as sent, decoded once (the route value keeps %2F encoded and has had dot segments removed): a name
    /// is the decoded path, checked as such, so neither "..%2F" nor "/../" slips through.
    /// </summary>
    private static string NameOf(HttpContext context, string name)
    {
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? "";
        var at = raw.IndexOf("/files/", StringComparison.Ordinal);
        return Uri.UnescapeDataString(at < 0 ? name : raw[(at + "/files/".Length)..].Split('?')[0]);
    }

    private static string? HeaderOf(HttpContext context, string header) =>
        context.Request.Headers[header].ToString() is { Length: > 0 } value ? value : null;

    private static async Task<bool> StillOpenAsync(JobRepository jobs, string id, CancellationToken ct) =>
        await jobs.FindAsync(id, ct) is { } now && IsOpen(now);

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
