using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Server.Endpoints;

/// <summary>
/// /handler/job_event: where runners report phase changes and their scripts' progress. Only the per-job bearer token written
/// into the job's directory is accepted (<see cref="JobEvents.IsCallbackTokenAsync"/>); no user
/// credential and no client address counts.
/// </summary>
public static class JobEventEndpoints
{
    private const string BearerPrefix = "Bearer ";

    public static void MapJobEvents(this IEndpointRouteBuilder app) =>
        app.MapPost("/handler/job_event", async (HttpContext context, JobEvents events, JobProgressReports progressReports, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            var jobId = UwsRequest.Single(form, "job") ?? throw new OpusValidationException("job is missing");
            var line = UwsRequest.Single(form, "event");
            var report = RunnerEvent.Parse(line);
            var progress = report is null ? JobProgress.ParseReport(line) : null;
            if (report is null && progress is null)
                throw new OpusValidationException("event: expected 'EPOCH_SECONDS PHASE [EXIT_CODE]' or 'EPOCH_SECONDS PROGRESS PERCENT [MESSAGE]'");
            if (BearerOf(context.Request) is not { } token || !await events.IsCallbackTokenAsync(jobId, token, ct))
                return Results.Text("not a valid token for this job\n", "text/plain", statusCode: StatusCodes.Status403Forbidden);
            if (progress is not null)
            {
                await progressReports.ReportAsync(jobId, progress, ct);
                return Results.NoContent();
            }

            // Answered once the job is claimed: its results are collected off this request's path.
            await events.ApplyAsync(jobId, report!, collectInBackground: true, ct);
            return Results.NoContent();
        }).DisableAntiforgery().AllowAnonymous();

    /// <summary>The bearer token of the Authorization header; null without one.</summary>
    internal static string? BearerOf(HttpRequest request) =>
        request.Headers.Authorization.ToString() is var authorization && authorization.StartsWith(BearerPrefix, StringComparison.Ordinal)
            ? authorization[BearerPrefix.Length..].Trim()
            : null;
}
