using Microsoft.AspNetCore.Http.HttpResults;
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
        var jdl = app.MapGroup("/jdl").DisableAntiforgery().WithMetadata(new ProblemErrors());

        jdl.MapGet("", (HttpContext context, DefinitionService definitions) =>
            TypedResults.Ok(new DefinitionList(definitions.List(context.Caller()).Select(DefinitionSummary.Of).ToList())));

        jdl.MapGet("/{name}", async ([AsParameters] DefinitionRoute route) =>
        {
            var format = ChooseFormat(route.Context.Request);
            // The WADL's resources base: its job list resource adds the definition's name (/rest/NAME).
            var document = DefinitionService.Export(await route.GetAsync(), format, $"{BaseUrl(route.Context)}/rest/");
            return TypedResults.Text(document, $"{DefinitionFormats.MediaType(format)}; charset=utf-8");
        });

        // OPUS's route, for its clients and scripts: the definition in OPUS's JSON form (jdl.content).
        jdl.MapGet("/{name}/json", async ([AsParameters] DefinitionRoute route) => TypedResults.Text(OpusJsonForm.Write(await route.GetAsync()), "application/json"));

        jdl.MapGet("/{name}/script", async ([AsParameters] DefinitionRoute route) => TypedResults.Text((await route.GetAsync()).Script, "text/x-shellscript; charset=utf-8"));

        jdl.MapGet("/{name}/versions", async ([AsParameters] DefinitionRoute route) =>
        {
            var versions = await route.Definitions.VersionsAsync(route.Context.Caller(), route.Name, route.Ct);
            var current = route.Definitions.CurrentVersion(route.Name);
            return TypedResults.Ok(new DefinitionVersions(route.Name, versions.Select(v => new DefinitionVersionView(v.Version, v.Status.ToString().ToLowerInvariant(),
                v.Version == current, UwsTime.Format(v.CreatedAt), v.CreatedBy, v.PublishedAt is { } p ? UwsTime.Format(p) : null, v.PublishedBy)).ToList()));
        });

        jdl.MapPost("", (HttpContext context, DefinitionService definitions, CancellationToken ct) => ProposeAsync(null, context, definitions, ct));
        jdl.MapPut("/{name}", ([AsParameters] DefinitionRoute route) => ProposeAsync(route.Name, route.Context, route.Definitions, route.Ct));

        jdl.MapPost("/{name}/publish", async ([AsParameters] DefinitionRoute route) =>
        {
            var form = await UwsRequest.ReadFormAsync(route.Context.Request, route.Ct);
            var version = UwsRequest.Single(form, "version") ?? UwsRequest.Single(route.Context.Request.Query, "version")
                ?? throw new OpusValidationException("version is missing: POST version=<version>");
            await route.Definitions.PublishAsync(route.Context.Caller(), route.Name, version, route.Ct);
            route.Context.Response.Headers.Location = $"{BaseUrl(route.Context)}/jdl/{Uri.EscapeDataString(route.Name)}";
            return TypedResults.StatusCode(StatusCodes.Status303SeeOther);
        });

        jdl.MapDelete("/{name}", async ([AsParameters] DefinitionRoute route) =>
        {
            await route.Definitions.RemoveAsync(route.Context.Caller(), route.Name, route.Ct);
            return TypedResults.NoContent();
        });
    }

    private static async Task<Created<ProposedDefinition>> ProposeAsync(string? name, HttpContext context, DefinitionService definitions, CancellationToken ct)
    {
        var (content, source) = await DefinitionUpload.ReadAsync(context.Request, definitions.Limits, "the request body", ct);
        var publish = UwsRequest.Single(context.Request.Query, "publish") is "true" or "1";
        var record = await definitions.ProposeAsync(context.Caller(), content, source, publish, name, ct);
        var location = $"{BaseUrl(context)}/jdl/{Uri.EscapeDataString(record.Name)}?version={Uri.EscapeDataString(record.Version)}";
        return TypedResults.Created(location, new ProposedDefinition(record.Name, record.Version, record.Status.ToString().ToLowerInvariant(), location));
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

    private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
}

public sealed record DefinitionList(IReadOnlyList<DefinitionSummary> Definitions);

public sealed record DefinitionSummary(string Name, string Version, string? Description, string? Type, string? Subtype, string? ContactName, int ExecutionDuration)
{
    public static DefinitionSummary Of(JobDefinition d) => new(d.Name, d.Version, d.Description, d.Type, d.Subtype, d.ContactName, d.ExecutionDuration);
}

public sealed record DefinitionVersions(string Name, IReadOnlyList<DefinitionVersionView> Versions);

public sealed record DefinitionVersionView(string Version, string Status, bool Current, string CreatedAt, string? CreatedBy, string? PublishedAt, string? PublishedBy);

public sealed record ProposedDefinition(string Name, string Version, string Status, string Location);

/// <summary>What every request to one definition carries: its name from the route, the caller's context, the service.</summary>
public readonly record struct DefinitionRoute(string Name, HttpContext Context, DefinitionService Definitions, CancellationToken Ct)
{
    /// <summary>The definition (?version= or the current one), if the caller may use it.</summary>
    public Task<JobDefinition> GetAsync() => Definitions.GetAsync(Context.Caller(), Name, UwsRequest.Single(Context.Request.Query, "version"), Ct);
}
