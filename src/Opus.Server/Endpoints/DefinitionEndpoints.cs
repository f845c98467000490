using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// /jdl: job definitions. Anyone signed in may propose a definition or a new version; admins
/// publish and withdraw (OPUS's propose/validate workflow). Every version is kept.
/// </summary>
public static class DefinitionEndpoints
{
    public static void MapDefinitions(this IEndpointRouteBuilder app)
    {
        var jdl = app.MapGroup("/jdl").DisableAntiforgery();

        jdl.MapGet("", (HttpContext context, DefinitionService definitions) =>
        {
            var list = new JsonArray(definitions.List(context.Caller()).Select(d => (JsonNode)Summary(d)).ToArray());
            return Results.Text(new JsonObject { ["definitions"] = list }.ToJsonString(), "application/json");
        });

        jdl.MapGet("/{name}", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
        {
            var definition = await definitions.GetAsync(context.Caller(), name, UwsRequest.Single(context.Request.Query, "version"), ct);
            var format = ChooseFormat(context.Request);
            // The WADL's resources base: its job list resource adds the definition's name (/rest/NAME).
            var document = DefinitionService.Export(definition, format, $"{BaseUrl(context)}/rest/");
            return Results.Text(document, $"{DefinitionFormats.MediaType(format)}; charset=utf-8");
        });

        // OPUS's route, for its clients and scripts: the definition in OPUS's JSON form (jdl.content).
        jdl.MapGet("/{name}/json", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
            Results.Text(OpusJsonForm.Write(await definitions.GetAsync(context.Caller(), name, UwsRequest.Single(context.Request.Query, "version"), ct)), "application/json"));

        jdl.MapGet("/{name}/script", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
            Results.Text((await definitions.GetAsync(context.Caller(), name, UwsRequest.Single(context.Request.Query, "version"), ct)).Script, "text/x-shellscript; charset=utf-8"));

        jdl.MapGet("/{name}/versions", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
        {
            var versions = await definitions.VersionsAsync(context.Caller(), name, ct);
            var current = definitions.CurrentVersion(name);
            var list = new JsonArray(versions.Select(v => (JsonNode)new JsonObject
            {
                ["version"] = v.Version,
                ["status"] = v.Status.ToString().ToLowerInvariant(),
                ["current"] = v.Version == current,
                ["createdAt"] = UwsTime.Format(v.CreatedAt),
                ["createdBy"] = v.CreatedBy,
                ["publishedAt"] = v.PublishedAt is { } p ? UwsTime.Format(p) : null,
                ["publishedBy"] = v.PublishedBy,
            }).ToArray());
            return Results.Text(new JsonObject { ["name"] = name, ["versions"] = list }.ToJsonString(), "application/json");
        });

        jdl.MapPost("", (HttpContext context, DefinitionService definitions, CancellationToken ct) => ProposeAsync(null, context, definitions, ct));
        jdl.MapPut("/{name}", (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) => ProposeAsync(name, context, definitions, ct));

        jdl.MapPost("/{name}/publish", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
        {
            var form = await UwsRequest.ReadFormAsync(context.Request, ct);
            var version = UwsRequest.Single(form, "version") ?? UwsRequest.Single(context.Request.Query, "version")
                ?? throw new OpusValidationException("version is missing: POST version=<version>");
            await definitions.PublishAsync(context.Caller(), name, version, ct);
            context.Response.Headers.Location = $"{BaseUrl(context)}/jdl/{Uri.EscapeDataString(name)}";
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        });

        jdl.MapDelete("/{name}", async (string name, HttpContext context, DefinitionService definitions, CancellationToken ct) =>
        {
            await definitions.RemoveAsync(context.Caller(), name, ct);
            return Results.NoContent();
        });
    }

    private static async Task<IResult> ProposeAsync(string? name, HttpContext context, DefinitionService definitions, CancellationToken ct)
    {
        var (content, source) = await DefinitionUpload.ReadAsync(context.Request, definitions.Limits, "the request body", ct);
        var publish = UwsRequest.Single(context.Request.Query, "publish") is "true" or "1";
        var record = await definitions.ProposeAsync(context.Caller(), content, source, publish, name, ct);
        var location = $"{BaseUrl(context)}/jdl/{Uri.EscapeDataString(record.Name)}?version={Uri.EscapeDataString(record.Version)}";
        context.Response.Headers.Location = location;
        var body = new JsonObject
        {
            ["name"] = record.Name,
            ["version"] = record.Version,
            ["status"] = record.Status.ToString().ToLowerInvariant(),
            ["location"] = location,
        };
        return Results.Text(body.ToJsonString(), "application/json", statusCode: StatusCodes.Status201Created);
    }

    /// <summary>?format= first, then the Accept header; VOTable (the IVOA serialization) by default.</summary>
    private static DefinitionFormat ChooseFormat(HttpRequest request)
    {
        if (UwsRequest.Single(request.Query, "format") is { } format)
            return DefinitionFormats.Parse(format);
        var accepted = MediaTypeHeaderValue.ParseList(request.Headers.Accept.OfType<string>().ToList())
            .OrderByDescending(m => m.Quality ?? 1);
        foreach (var media in accepted)
        {
            if (DefinitionFormats.TryParse(media.MediaType.Value, out var chosen))
                return chosen;
            if (media.MediaType.Value is "text/xml")
                return DefinitionFormat.VoTable;
        }

        return DefinitionFormat.VoTable;
    }

    private static JsonObject Summary(JobDefinition d) => new()
    {
        ["name"] = d.Name,
        ["version"] = d.Version,
        ["description"] = d.Description,
        ["type"] = d.Type,
        ["subtype"] = d.Subtype,
        ["contactName"] = d.ContactName,
        ["executionDuration"] = d.ExecutionDuration,
    };

    private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
}
