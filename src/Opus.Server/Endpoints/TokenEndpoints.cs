using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// /users/{name}/tokens: API tokens of a user (not SCIM: SCIM never shows tokens). Who may manage
/// whose tokens is Core's rule (<see cref="ApiTokens"/>). A new token's secret is in the 201 answer
/// and nowhere else, ever.
/// </summary>
public static class TokenEndpoints
{
    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        // Anonymous callers have no tokens: ask for credentials rather than refuse.
        var tokens = app.MapGroup("/users/{name}/tokens").DisableAntiforgery().WithMetadata(new ProblemErrors()).AddEndpointFilter(async (context, next) =>
            context.HttpContext.Caller().Anonymous ? Results.Challenge() : await next(context));

        tokens.MapGet("", async (string name, HttpContext context, ApiTokens service, CancellationToken ct) =>
            TypedResults.Ok(new TokenList((await service.ListAsync(context.Caller(), name, ct)).Tokens.Select(TokenView.Of).ToList())));

        tokens.MapGet("/{token}", async (string name, string token, HttpContext context, ApiTokens service, CancellationToken ct) =>
            TypedResults.Ok(TokenView.Of(await service.GetAsync(context.Caller(), name, token, ct))));

        tokens.MapPost("", async (string name, HttpContext context, ApiTokens service, CancellationToken ct) =>
        {
            var (tokenName, expires) = await ReadRequestAsync(context.Request, ct);
            var (_, token, secret) = await service.IssueAsync(context.Caller(), name, tokenName, expires, ct);
            // Never cached anywhere on the way: the secret is shown this once.
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Created($"{context.Request.PathBase}/users/{Uri.EscapeDataString(name)}/tokens/{token.Id}", TokenView.Of(token) with { Token = secret });
        });

        tokens.MapDelete("/{token}", async (string name, string token, HttpContext context, ApiTokens service, CancellationToken ct) =>
        {
            await service.RevokeAsync(context.Caller(), name, token, ct);
            return TypedResults.NoContent();
        });
    }

    /// <summary>name and optional expires (ISO 8601), as a form or a JSON object.</summary>
    private static async Task<(string Name, DateTime? Expires)> ReadRequestAsync(HttpRequest request, CancellationToken ct)
    {
        string? name;
        string? expires;
        if (request.HasJsonContentType())
        {
            JsonObject body;
            try
            {
                body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct) as JsonObject
                    ?? throw new OpusValidationException("the body must be a JSON object");
            }
            catch (JsonException e)
            {
                throw new OpusValidationException($"the body is not valid JSON: {e.Message}");
            }

            name = JsonString(body, "name");
            expires = JsonString(body, "expires");
        }
        else
        {
            var form = await UwsRequest.ReadFormAsync(request, ct);
            name = UwsRequest.Single(form, "name");
            expires = UwsRequest.Single(form, "expires");
        }

        if (string.IsNullOrWhiteSpace(name))
            throw new OpusValidationException("name is missing: give the token a name");
        return (name, string.IsNullOrWhiteSpace(expires) ? null : UwsRequest.ParseInstant(expires, "expires"));
    }

    private static string? JsonString(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new OpusValidationException($"{name} must be a string"),
    };
}

public sealed record TokenList(IReadOnlyList<TokenView> Tokens);

/// <summary>What may be shown of a token: never its hash, and its secret only in the answer that issues it.</summary>
public sealed record TokenView(string Id, string Name, string CreatedAt, string? ExpiresAt, string? RevokedAt, string? LastUsedAt)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    public static TokenView Of(ApiToken token) =>
        new(token.Id, token.Name, UwsTime.Format(token.CreatedAt), Instant(token.ExpiresAt), Instant(token.RevokedAt), Instant(token.LastUsedAt));

    private static string? Instant(DateTime? value) => value is { } v ? UwsTime.Format(v) : null;
}
