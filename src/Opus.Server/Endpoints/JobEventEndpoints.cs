using System.Security.Cryptography;
using System.Text;
using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Server.Endpoints;

/// <summary>
/// /handler/job_event: where runners report phase changes. Only the per-job bearer token written
/// into the job's directory is accepted; no user credential and no client address counts.
/// </summary>
public static class JobEventEndpoints
{
    public static void MapJobEvents(this IEndpointRouteBuilder app) =>
        app.MapPost("/handler/job_event", async (HttpContext context, JobRepository jobs, JobEvents events, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            var jobId = UwsRequest.Single(form, "job") ?? throw new OpusValidationException("job is missing");
            var report = RunnerEvent.Parse(UwsRequest.Single(form, "event"))
                ?? throw new OpusValidationException("event: expected 'EPOCH_SECONDS PHASE [EXIT_CODE]'");
            var job = await jobs.FindAsync(jobId, ct);
            if (job?.CallbackTokenHash is null || !TokenMatches(context.Request.Headers.Authorization.ToString(), job.CallbackTokenHash))
                return Results.Text("not a valid token for this job\n", "text/plain", statusCode: StatusCodes.Status403Forbidden);
            // Answered once the job is claimed: its results are collected off this request's path.
            await events.ApplyAsync(jobId, report, collectInBackground: true, ct);
            return Results.NoContent();
        }).DisableAntiforgery().AllowAnonymous();

    /// <summary>True when the Authorization header is Bearer with the token whose hash the job holds (constant-time).</summary>
    internal static bool TokenMatches(string authorization, string expectedHash)
    {
        const string prefix = "Bearer ";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        var hash = JobWorkspace.HashToken(authorization[prefix.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(expectedHash));
    }
}
