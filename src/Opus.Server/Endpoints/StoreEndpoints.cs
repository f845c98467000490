using Opus.Core.Jobs;
using Opus.Core.Store;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>/store: stored content by SHA-256 (results and inputs), as provenance names it (opus_store:DIGEST).</summary>
public static class StoreEndpoints
{
    public static void MapStore(this IEndpointRouteBuilder app)
    {
        app.MapGet("/store", (HttpContext context, EntityStore store, CancellationToken ct) =>
            Download(context, UwsRequest.Single(context.Request.Query, "ID") ?? throw new OpusValidationException("ID is missing: /store/?ID=<sha256>"), store, ct));
        app.MapGet("/store/{sha256}", (string sha256, HttpContext context, EntityStore store, CancellationToken ct) => Download(context, sha256, store, ct));
    }

    private static async Task<IResult> Download(HttpContext context, string id, EntityStore store, CancellationToken ct)
    {
        var digest = InputResolver.StoreDigest(id) ?? throw new OpusValidationException($"ID: '{UwsRequest.Shorten(id)}' is not a SHA-256 digest");
        var caller = context.Caller();
        var entity = await store.FindAsync(digest, ct);
        // Content the caller may not see is "not found", like another user's job.
        if (entity is null || !store.Contains(digest) || !(caller.IsAdmin || await store.IsVisibleToAsync(digest, caller.Anonymous ? null : caller.UserName, ct)))
            throw new OpusNotFoundException($"no stored entity {digest}");
        return Results.File(store.OpenRead(digest), entity.ContentType, entity.FileName, enableRangeProcessing: true);
    }
}
