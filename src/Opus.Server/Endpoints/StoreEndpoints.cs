using Opus.Core.Jobs;
using Opus.Core.Store;

namespace Opus.Server.Endpoints;

/// <summary>/store: stored content by SHA-256 (results and inputs), as provenance names it (opus_store:DIGEST).</summary>
public static class StoreEndpoints
{
    public static void MapStore(this IEndpointRouteBuilder app)
    {
        app.MapGet("/store", (HttpContext context, EntityStore store, CancellationToken ct) =>
            Download(UwsRequest.Single(context.Request.Query, "ID") ?? throw new OpusValidationException("ID is missing: /store/?ID=<sha256>"), store, ct));
        app.MapGet("/store/{sha256}", (string sha256, EntityStore store, CancellationToken ct) => Download(sha256, store, ct));
    }

    private static async Task<IResult> Download(string id, EntityStore store, CancellationToken ct)
    {
        var digest = InputResolver.StoreDigest(id) ?? throw new OpusValidationException($"ID: '{UwsRequest.Shorten(id)}' is not a SHA-256 digest");
        var entity = await store.FindAsync(digest, ct);
        if (entity is null || !store.Contains(digest))
            throw new OpusNotFoundException($"no stored entity {digest}");
        return Results.File(store.OpenRead(digest), entity.ContentType, entity.FileName, enableRangeProcessing: true);
    }
}
