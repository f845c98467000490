using System.Text.Json;
using System.Text.Json.Nodes;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// /users/{name}/tokens: API tokens of a user, for admins and for the user themselves (not SCIM:
/// SCIM never shows tokens). A new token's secret is in the 201 answer and nowhere else, ever.
/// </summary>
public static class TokenEndpoints
{
    private const string Json = "application/json";

    public static void MapTokens(this IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/users/{name}/tokens").DisableAntiforgery().AddEndpointFilter(async (context, next) =>
        {
            var caller = context.HttpContext.Caller();
            // Anonymous callers have no tokens: ask for credentials rather than refuse.
            if (caller.Anonymous)
                return Results.Challenge();
            var name = (string)context.HttpContext.GetRouteValue("name")!;
            if (!caller.IsAdmin && name != caller.UserName)
                throw new OpusStateException("you may manage your own API tokens only");
            return await next(context);
        });

        tokens.MapGet("", async (string name, UserService users, CancellationToken ct) =>
            Results.Text(new JsonObject { ["tokens"] = new JsonArray((await users.TokensAsync(name, ct)).Select(t => (JsonNode)Describe(t)).ToArray()) }.ToJsonString(), Json));

        tokens.MapGet("/{token}", async (string name, string token, UserService users, CancellationToken ct) =>
            Results.Text(Describe(await FindAsync(users, name, token, ct)).ToJsonString(), Json));

        tokens.MapPost("", async (string name, HttpContext context, UserService users, CancellationToken ct) =>
        {
            var (tokenName, expires) = await ReadRequestAsync(context.Request, ct);
            var (token, secret) = await users.IssueTokenAsync(name, tokenName, expires, ct);
            var body = Describe(token);
            body["token"] = secret;
            context.Response.Headers.Location = $"{context.Request.PathBase}/users/{Uri.EscapeDataString(name)}/tokens/{token.Id}";
            // Never cached anywhere on the way: the secret is shown this once.
            context.Response.Headers.CacheControl = "no-store";
            return Results.Text(body.ToJsonString(), Json, statusCode: StatusCodes.Status201Created);
        });

        tokens.MapDelete("/{token}", async (string name, string token, UserService users, CancellationToken ct) =>
        {
            await users.RevokeTokenAsync(name, token, ct);
            return Results.NoContent();
        });
    }

    private static async Task<ApiToken> FindAsync(UserService users, string name, string token, CancellationToken ct) =>
        (await users.TokensAsync(name, ct)).LastOrDefault(t => t.Id == token || t.Name == token)
        ?? throw new OpusNotFoundException($"user '{name}' has no token '{UwsRequest.Shorten(token)}'");

    /// <summary>What may be shown of a token: never its secret or hash.</summary>
    private static JsonObject Describe(ApiToken token) => new()
    {
        ["id"] = token.Id,
        ["name"] = token.Name,
        ["createdAt"] = UwsTime.Format(token.CreatedAt),
        ["expiresAt"] = Instant(token.ExpiresAt),
        ["revokedAt"] = Instant(token.RevokedAt),
        ["lastUsedAt"] = Instant(token.LastUsedAt),
    };

    private static string? Instant(DateTime? value) => value is { } v ? UwsTime.Format(v) : null;

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
