// Hand-written on purpose: no kept .NET library parses the SCIM filter subset used here (userName/externalId eq; issue 20).
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2: the HTTP face of the user store, for admins only.
/// Roles are SCIM "roles"; tokens never appear. The common attribute externalId is the user's OIDC
/// subject (sub): an admin links an account to a person at the identity provider with it, and finds
/// that account with the filter externalId eq (the one other filter is userName eq).
/// </summary>
public static partial class ScimEndpoints
{
    public const string MediaType = "application/scim+json";
    private const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    // Opus's extension (RFC 7643 3.3): lastSeen (read-only), the user's last authenticated request or token use;
    // slurmAccount (read-write), the SLURM account the user's jobs are charged to.
    internal const string OpusUserSchema = "urn:opus:scim:schemas:extension:2.0:User";
    private const string ListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    private const string ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
    private const string PatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    public static void MapScim(this IEndpointRouteBuilder app)
    {
        var scim = app.MapGroup("/scim/v2").RequireAdmin("SCIM is for admins only", message => Error(StatusCodes.Status403Forbidden, null, message))
            .AddEndpointFilter(async (context, next) =>
            {
                try
                {
                    return await next(context);
                }
                catch (Exception e) when (ErrorOf(e) is { } error)
                {
                    return error;
                }
            }).DisableAntiforgery();

        scim.MapGet("/ServiceProviderConfig", (HttpContext context) => Scim(ServiceProviderConfig(context)));
        scim.MapGet("/ResourceTypes", (HttpContext context) => Scim(ListOf<ScimResourceType>([UserResourceType(context)], 1, 1)));
        scim.MapGet("/ResourceTypes/User", (HttpContext context) => Scim(UserResourceType(context)));
        scim.MapGet("/Schemas", () => Scim(ListOf<ScimSchema>([UserSchemaDocument, OpusUserSchemaDocument], 2, 1)));
        scim.MapGet("/Schemas/{id}", Results<JsonHttpResult<ScimSchema>, JsonHttpResult<ScimError>> (string id) =>
            id == UserSchema ? Scim(UserSchemaDocument)
            : id == OpusUserSchema ? Scim(OpusUserSchemaDocument)
            : Error(StatusCodes.Status404NotFound, null, $"no schema '{id}'"));

        scim.MapGet("/Users", async Task<Results<JsonHttpResult<ScimList<ScimUser>>, JsonHttpResult<ScimError>>> (HttpContext context, UserDirectory users, CancellationToken ct) =>
        {
            var query = context.Request.Query;
            string? userName = null, externalId = null;
            if (UwsRequest.Single(query, "filter") is { } filter)
            {
                // One comparison: userName or externalId eq a JSON string (RFC 7644 3.4.2.2), compared exactly.
                var match = EqFilter().Match(filter);
                if (!match.Success || FilterValue(match.Groups["v"].Value) is not { } value)
                    return Error(StatusCodes.Status400BadRequest, "invalidFilter", $"filter '{filter}' is not supported; use userName eq \"name\" or externalId eq \"sub\"");
                if (match.Groups["a"].Value.Equals("userName", StringComparison.OrdinalIgnoreCase))
                    userName = value;
                else
                    externalId = value;
            }

            var startIndex = UwsRequest.Single(query, "startIndex") is { } s ? Math.Max(1, UwsRequest.ParseInt(s, "startIndex")) : 1;
            var count = UwsRequest.Single(query, "count") is { } c ? Math.Clamp(UwsRequest.ParseInt(c, "count"), 0, 1000) : 100;
            var (total, page) = await users.ListAsync(context.Caller(), userName, startIndex, count, externalId, ct);
            var portals = await users.NamesAsync(page.Select(u => u.CreatedByPortalId).OfType<string>(), ct);
            return Scim(ListOf(page.Select(u => UserDocument(context, u, portals)).ToList(), total, startIndex));
        });
        scim.MapPost("/Users", async (HttpContext context, UserDirectory users, CancellationToken ct) =>
        {
            var body = await ReadAsync(context, ct);
            var user = await users.CreateAsync(context.Caller(),
                RequiredString(body, "userName"), OptionalString(body, "displayName"), PrimaryEmail(body),
                Roles(body), body["active"]?.GetValue<bool>() ?? true, ExternalId(body), ct, SlurmAccount(body), NotifyOnJobEnd(body) ?? false);
            context.Response.Headers.Location = UserUrl(context, user);
            return Scim(await UserDocumentAsync(context, users, user, ct), StatusCodes.Status201Created);
        });
        scim.MapGet("/Users/{id}", async (string id, HttpContext context, UserDirectory users, CancellationToken ct) =>
            Scim(await UserDocumentAsync(context, users, await users.GetAsync(context.Caller(), id, ct), ct)));
        scim.MapPut("/Users/{id}", async (string id, HttpContext context, UserDirectory users, CancellationToken ct) =>
        {
            // PUT replaces: attributes left out are cleared (RFC 7644 3.5.1), except externalId, which links
            // the account to a person (cleared only by an explicit null or ""; 3.5.1 allows either reading).
            var body = await ReadAsync(context, ct);
            var user = await users.UpdateAsync(context.Caller(), id, RequiredString(body, "userName"), OptionalString(body, "displayName") ?? "",
                PrimaryEmail(body) ?? "", body["active"]?.GetValue<bool>() ?? true, Roles(body) ?? [], ExternalId(body), ct, SlurmAccount(body) ?? "",
                NotifyOnJobEnd(body) ?? false);
            return Scim(await UserDocumentAsync(context, users, user, ct));
        });
        scim.MapMethods("/Users/{id}", ["PATCH"], async Task<Results<JsonHttpResult<ScimUser>, JsonHttpResult<ScimError>>> (string id, HttpContext context, UserDirectory users, CancellationToken ct) =>
        {
            var body = await ReadAsync(context, ct);
            if (body["schemas"] is not JsonArray schemas || !schemas.Any(s => s?.GetValue<string>() == PatchSchema))
                return Error(StatusCodes.Status400BadRequest, "invalidSyntax", $"a PATCH body has schemas [\"{PatchSchema}\"]");
            var user = await users.GetAsync(context.Caller(), id, ct);
            var roles = user.Roles.ToList();
            var email = user.Email;
            var displayName = user.DisplayName;
            var active = user.Active;
            var externalId = user.ExternalSubject;
            var slurmAccount = user.SlurmAccount;
            var notifyOnJobEnd = user.NotifyOnJobEnd;
            foreach (var operation in body["Operations"] as JsonArray ?? throw new OpusValidationException("Operations is missing"))
                Apply(operation as JsonObject ?? throw new OpusValidationException("an operation is not an object"), roles, ref email, ref displayName, ref active,
                    ref externalId, ref slurmAccount, ref notifyOnJobEnd);
            var updated = await users.UpdateAsync(context.Caller(), user.Id, null, displayName ?? "", email ?? "", active, roles, externalId ?? "", ct,
                slurmAccount ?? "", notifyOnJobEnd);
            return Scim(await UserDocumentAsync(context, users, updated, ct));
        });
        scim.MapDelete("/Users/{id}", async (string id, HttpContext context, UserDirectory users, CancellationToken ct) =>
        {
            await users.DeleteAsync(context.Caller(), id, ct);
            return TypedResults.NoContent();
        });
    }

    /// <summary>One PATCH operation on the attributes we support (RFC 7644 3.5.2).</summary>
    private static void Apply(JsonObject operation, List<string> roles, ref string? email, ref string? displayName, ref bool active, ref string? externalId,
        ref string? slurmAccount, ref bool notifyOnJobEnd)
    {
        var op = operation["op"]?.GetValue<string>().ToLowerInvariant() ?? throw new OpusValidationException("an operation has no op");
        var path = operation["path"]?.GetValue<string>();
        var value = operation["value"];
        if (path is null)
        {
            // RFC 7644 3.5.2.2: remove without a path is a noTarget error.
            if (op == "remove")
                throw new ScimException("noTarget", "remove needs a path");
            if (value is not JsonObject attributes)
                throw new OpusValidationException("an operation without a path needs an object value (add or replace)");
            foreach (var (name, inner) in attributes)
                Apply(new JsonObject { ["op"] = op, ["path"] = name, ["value"] = inner?.DeepClone() }, roles, ref email, ref displayName, ref active,
                    ref externalId, ref slurmAccount, ref notifyOnJobEnd);
            return;
        }

        // The extension's attributes go by their full name (RFC 7644 3.10), or as one object under the schema's URN.
        if (path.Equals(OpusUserSchema, StringComparison.OrdinalIgnoreCase) && op != "remove")
        {
            foreach (var (name, inner) in value as JsonObject ?? throw new OpusValidationException($"path '{path}' needs an object value"))
                Apply(new JsonObject { ["op"] = op, ["path"] = $"{OpusUserSchema}:{name}", ["value"] = inner?.DeepClone() }, roles, ref email, ref displayName,
                    ref active, ref externalId, ref slurmAccount, ref notifyOnJobEnd);
            return;
        }

        if (path.StartsWith(OpusUserSchema + ":", StringComparison.OrdinalIgnoreCase))
            path = path[(OpusUserSchema.Length + 1)..];

        var filtered = RoleValueFilter().Match(path);
        switch (filtered.Success ? "roles[value]" : path.ToLowerInvariant())
        {
            case "active":
                if (op == "remove")
                    throw new OpusValidationException("active cannot be removed");
                active = value?.GetValue<bool>() ?? throw new OpusValidationException("active needs a boolean value");
                break;
            case "displayname":
                displayName = op == "remove" ? null : value?.GetValue<string>();
                break;
            case "externalid":
                externalId = op == "remove" ? null : value?.GetValue<string>();
                break;
            case "slurmaccount":
                slurmAccount = op == "remove" ? null : value?.GetValue<string>();
                break;
            case "notifyonjobend":
                notifyOnJobEnd = op != "remove" && (value?.GetValue<bool>() ?? throw new OpusValidationException("notifyOnJobEnd needs a boolean value"));
                break;
            case "createdbyportal":
                throw new ScimException("mutability", "createdByPortal is read-only");
            case "emails":
                email = op == "remove" ? null : value is JsonArray list ? list.Select(e => e?["value"]?.GetValue<string>()).FirstOrDefault(e => e is not null) : value?["value"]?.GetValue<string>();
                break;
            case "roles":
                var given = value is null ? [] : RoleValues(value);
                if (op == "replace" || (op == "remove" && value is null))
                    roles.Clear();
                if (op == "remove")
                    roles.RemoveAll(given.Contains);
                else
                    roles.AddRange(given.Where(r => !roles.Contains(r)));
                break;
            case "roles[value]":
                if (op != "remove")
                    throw new OpusValidationException($"path '{path}' supports remove only");
                roles.Remove(filtered.Groups["v"].Value);
                break;
            default:
                throw new ScimException("invalidPath", $"path '{path}' is not supported; use active, displayName, emails, externalId, roles, {OpusUserSchema}:slurmAccount or {OpusUserSchema}:notifyOnJobEnd");
        }
    }

    private static List<string> RoleValues(JsonNode value) =>
        value is JsonArray array
            ? array.Select(r => r is JsonObject o ? o["value"]?.GetValue<string>() : r?.GetValue<string>()).OfType<string>().ToList()
            : value is JsonObject one ? [one["value"]?.GetValue<string>() ?? ""] : [value.GetValue<string>()];

    private static async Task<JsonObject> ReadAsync(HttpContext context, CancellationToken ct)
    {
        var node = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct);
        return node as JsonObject ?? throw new OpusValidationException("the body must be a JSON object");
    }

    private static string RequiredString(JsonObject body, string name) =>
        OptionalString(body, name) ?? throw new OpusValidationException($"{name} is required");

    private static string? OptionalString(JsonObject body, string name) =>
        body.FirstOrDefault(kv => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();

    private static string? PrimaryEmail(JsonObject body) =>
        body["emails"] is JsonArray emails
            ? (emails.FirstOrDefault(e => e?["primary"]?.GetValue<bool>() == true) ?? emails.FirstOrDefault())?["value"]?.GetValue<string>()
            : null;

    /// <summary>externalId as given: null when left out (kept), "" when null or empty (cleared).</summary>
    private static string? ExternalId(JsonObject body) =>
        body.FirstOrDefault(kv => kv.Key.Equals("externalId", StringComparison.OrdinalIgnoreCase)) is { Key: not null } given
            ? given.Value?.GetValue<string>() ?? ""
            : null;

    /// <summary>The extension's slurmAccount as given: null when left out, "" when null or empty.</summary>
    private static string? SlurmAccount(JsonObject body) =>
        body.FirstOrDefault(kv => kv.Key.Equals(OpusUserSchema, StringComparison.OrdinalIgnoreCase)).Value is JsonObject extension
        && extension.FirstOrDefault(kv => kv.Key.Equals("slurmAccount", StringComparison.OrdinalIgnoreCase)) is { Key: not null } given
            ? given.Value?.GetValue<string>() ?? ""
            : null;

    /// <summary>The extension's notifyOnJobEnd as given; null when left out.</summary>
    private static bool? NotifyOnJobEnd(JsonObject body) =>
        body.FirstOrDefault(kv => kv.Key.Equals(OpusUserSchema, StringComparison.OrdinalIgnoreCase)).Value is JsonObject extension
        && extension.FirstOrDefault(kv => kv.Key.Equals("notifyOnJobEnd", StringComparison.OrdinalIgnoreCase)) is { Key: not null } given
            ? given.Value?.GetValue<bool>() ?? false
            : null;

    /// <summary>A filter's quoted value, unescaped as the JSON string it is; null when it is not one (an unknown escape).</summary>
    private static string? FilterValue(string quoted)
    {
        try
        {
            return JsonNode.Parse($"\"{quoted}\"")?.GetValue<string>();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<string>? Roles(JsonObject body) => body["roles"] is { } roles ? RoleValues(roles) : null;

    private static string UserUrl(HttpContext context, User user) =>
        $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/scim/v2/Users/{user.Id}";

    private static async Task<ScimUser> UserDocumentAsync(HttpContext context, UserDirectory users, User user, CancellationToken ct) =>
        UserDocument(context, user, await users.NamesAsync(user.CreatedByPortalId is { } portal ? [portal] : [], ct));

    /// <summary>The user's SCIM document; <paramref name="portals"/> names the portals by id (a deleted one shows its id).</summary>
    private static ScimUser UserDocument(HttpContext context, User user, IReadOnlyDictionary<string, string> portals) =>
        new(HasExtension(user) ? [UserSchema, OpusUserSchema] : [UserSchema], user.Id, user.UserName, user.Active,
            user.Roles.Select(r => new ScimValue(r)).ToList(),
            new ScimMeta("User", UwsTime.Format(user.CreatedAt), UwsTime.Format(user.ModifiedAt), UserUrl(context, user)))
        {
            Opus = !HasExtension(user)
                ? null
                : new ScimOpusUser(user.LastSeenAt is { } seen ? UwsTime.Format(seen) : null, user.SlurmAccount, user.NotifyOnJobEnd,
                    user.CreatedByPortalId is { } portal ? portals.GetValueOrDefault(portal, portal) : null),
            ExternalId = user.ExternalSubject,
            DisplayName = user.DisplayName,
            Emails = user.Email is null ? null : [new ScimEmail(user.Email, true)],
        };

    private static bool HasExtension(User user) =>
        user.LastSeenAt is not null || user.SlurmAccount is not null || user.NotifyOnJobEnd || user.CreatedByPortalId is not null;

    private static ScimList<T> ListOf<T>(IReadOnlyList<T> resources, int total, int startIndex) => new([ListSchema], total, startIndex, resources.Count, resources);

    private static string Url(HttpContext context, string path) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/scim/v2{path}";

    private static ScimServiceProviderConfig ServiceProviderConfig(HttpContext context) => new(
        ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"], new(true), new(false, 0, 0), new(true, 1000), new(false), new(false), new(false),
        [new("httpbasic", "HTTP Basic", "User name and Opus API token"), new("oauthbearertoken", "Bearer", "An Opus API token, or an OIDC access token (JWT)")],
        new ScimMeta("ServiceProviderConfig", null, null, Url(context, "/ServiceProviderConfig")));

    private static ScimResourceType UserResourceType(HttpContext context) => new(
        ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "User", "User", "/Users", "Opus users", UserSchema,
        new ScimMeta("ResourceType", null, null, Url(context, "/ResourceTypes/User")))
    {
        SchemaExtensions = [new ScimSchemaExtension(OpusUserSchema, false)],
    };

    private static readonly ScimSchema UserSchemaDocument = new(
        ["urn:ietf:params:scim:schemas:core:2.0:Schema"], UserSchema, "User", "Opus user account",
        [
            Attribute("userName", "string", false, true, "Unique login name; jobs record it as their owner", "server"),
            // A common attribute (RFC 7643 3.1: caseExact, readWrite, optional), listed as 3.1 allows. Opus
            // refuses one another user has, so its uniqueness is "server" where RFC servers leave it to the client.
            Attribute("externalId", "string", false, false,
                "The user's OIDC subject (sub) at the identity provider: links the account at its first sign-in", "server", caseExact: true),
            Attribute("displayName", "string", false, false, "Name for display"),
            Attribute("active", "boolean", false, false, "An inactive user cannot sign in"),
            Attribute("emails", "complex", true, false, "E-mail addresses (the primary one is kept)", sub:
                [Attribute("value", "string", false, false, "The address"), Attribute("primary", "boolean", false, false, "The preferred address")]),
            Attribute("roles", "complex", true, false, "admin, * (every job definition) or a job definition name", sub:
                [Attribute("value", "string", false, false, "The role")]),
        ],
        new ScimMeta("Schema", null, null, $"/scim/v2/Schemas/{UserSchema}"));

    private static readonly ScimSchema OpusUserSchemaDocument = new(
        ["urn:ietf:params:scim:schemas:core:2.0:Schema"], OpusUserSchema, "OpusUser", "Opus's attributes of a user",
        [
            Attribute("lastSeen", "dateTime", false, false, "The user's last authenticated request or token use, to the minute", mutability: "readOnly"),
            Attribute("slurmAccount", "string", false, false,
                "The SLURM account the user's jobs are charged to (--account) unless a job sets slurm_account: letters, digits, _ - .", caseExact: true),
            Attribute("notifyOnJobEnd", "boolean", false, false,
                "Mail the user (primary e-mail) when one of their jobs ends, unless the job was created with NOTIFY=false"),
            Attribute("createdByPortal", "string", false, false,
                "The portal account that created this user by acting on its behalf (X-Opus-On-Behalf-Of); only it may act as this user", mutability: "readOnly"),
        ],
        new ScimMeta("Schema", null, null, $"/scim/v2/Schemas/{OpusUserSchema}"));

    private static ScimAttribute Attribute(string name, string type, bool multiValued, bool required, string description, string uniqueness = "none",
        ScimAttribute[]? sub = null, bool caseExact = false, string mutability = "readWrite") =>
        new(name, type, multiValued, description, required, caseExact, mutability, "default", uniqueness, sub);

    private static JsonHttpResult<T> Scim<T>(T document, int status = StatusCodes.Status200OK) =>
        TypedResults.Json(document, (JsonTypeInfo<T>)ScimJson.Default.GetTypeInfo(typeof(T))!, MediaType, status);

    private static JsonHttpResult<ScimError> Error(int status, string? scimType, string detail) =>
        Scim(new ScimError([ErrorSchema], status.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, scimType), status);

    /// <summary>A refusal as a SCIM error (RFC 7644 3.12); null for our own faults.</summary>
    private static JsonHttpResult<ScimError>? ErrorOf(Exception e) => e switch
    {
        ScimException scim => Error(StatusCodes.Status400BadRequest, scim.ScimType, e.Message),
        OpusValidationException => Error(StatusCodes.Status400BadRequest, "invalidValue", e.Message),
        OpusStateException => Error(StatusCodes.Status403Forbidden, null, e.Message),
        OpusConflictException => Error(StatusCodes.Status409Conflict, "uniqueness", e.Message),
        OpusNotFoundException => Error(StatusCodes.Status404NotFound, null, e.Message),
        JsonException => Error(StatusCodes.Status400BadRequest, "invalidSyntax", $"the body is not valid JSON: {e.Message}"),
        // A value of the wrong JSON type, such as "active": "yes": the client's mistake, not ours.
        InvalidOperationException when e.Source == typeof(JsonNode).Assembly.GetName().Name => Error(StatusCodes.Status400BadRequest, "invalidValue", e.Message),
        _ => null,
    };

    /// <summary>A 400 with a scimType other than invalidValue (RFC 7644 3.12).</summary>
    private sealed class ScimException(string scimType, string message) : OpusValidationException(message)
    {
        public string ScimType { get; } = scimType;
    }

    [GeneratedRegex("^\\s*(?<a>userName|externalId)\\s+eq\\s+\"(?<v>(?:[^\"\\\\]|\\\\.)*)\"\\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex EqFilter();

    [GeneratedRegex("^roles\\[value\\s+eq\\s+\"(?<v>[^\"]*)\"\\]$", RegexOptions.IgnoreCase)]
    private static partial Regex RoleValueFilter();
}
