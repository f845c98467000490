using Microsoft.AspNetCore.Http.HttpResults;
using Opus.Core.Jobs;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>/store: stored content by SHA-256 (results and inputs), as provenance names it (opus_store:DIGEST).</summary>
public static class StoreEndpoints
{
    public static void MapStore(this IEndpointRouteBuilder app)
    {
        app.MapGet("/store", (HttpContext context, JobFiles files, CancellationToken ct) =>
            Download(context, UwsRequest.Single(context.Request.Query, "ID") ?? throw new OpusValidationException("ID is missing: /store/?ID=<sha256>"), files, ct));
        app.MapGet("/store/{sha256}", (string sha256, HttpContext context, JobFiles files, CancellationToken ct) => Download(context, sha256, files, ct));
    }

    private static async Task<FileStreamHttpResult> Download(HttpContext context, string id, JobFiles files, CancellationToken ct)
    {
        var digest = InputResolver.StoreDigest(id) ?? throw new OpusValidationException($"ID: '{UwsRequest.Shorten(id)}' is not a SHA-256 digest");
        var (entity, content) = await files.OpenStoredAsync(context.Caller(), digest, ct);
        return TypedResults.File(content, entity.ContentType, entity.FileName, enableRangeProcessing: true);
    }
}
