using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Opus.Core.Jobs;
using Opus.Core.Sessions;
using Opus.Core.Users;
using Opus.Core.Uws;

namespace Opus.Client;

/// <summary>Users through SCIM 2.0 (/scim/v2/Users; admins only).</summary>
public sealed partial class RemoteOpusSession
{
    private const string ScimUser = "urn:ietf:params:scim:schemas:core:2.0:User";
    private const string OpusUserSchema = "urn:opus:scim:schemas:extension:2.0:User";
    private const string ScimPatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    public async Task<User> CreateUserAsync(UserRequest request, CancellationToken cancellationToken = default)
    {
        var document = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimUser),
            ["userName"] = request.UserName,
            ["active"] = request.Active,
            ["roles"] = new JsonArray(request.Roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        if (request.DisplayName is not null)
            document["displayName"] = request.DisplayName;
        if (request.Email is not null)
            document["emails"] = new JsonArray(new JsonObject { ["value"] = request.Email, ["primary"] = true });
        if (request.ExternalId is { Length: > 0 } externalId)
            document["externalId"] = externalId;
        if (request.SlurmAccount is { Length: > 0 } account)
            document[OpusUserSchema] = new JsonObject { ["slurmAccount"] = account };
        using var response = await SendJsonAsync(HttpMethod.Post, "scim/v2/Users", document, cancellationToken);
        return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));
    }

    public async Task<User> GetUserAsync(string idOrName, CancellationToken cancellationToken = default) =>
        await FindUserAsync(idOrName, cancellationToken) ?? throw new OpusNotFoundException($"no user '{idOrName}'");

    public async IAsyncEnumerable<User> ListUsersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int page = 200;
        for (var start = 1; ; start += page)
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?startIndex={start}&count={page}", null, cancellationToken);
            var list = await ReadJsonAsync(response, cancellationToken);
            var resources = list["Resources"] as JsonArray ?? [];
            foreach (var resource in resources.OfType<JsonObject>())
                yield return ScimUserFrom(resource);
            var total = (int?)list["totalResults"] ?? 0;
            if (resources.Count == 0 || start + resources.Count > total)
                yield break;
        }
    }

    public async Task<IReadOnlyList<User>> FindUsersByExternalIdAsync(string externalId, CancellationToken cancellationToken = default)
    {
        // The filter's value is a JSON string (RFC 7644 3.4.2.2): quotes and backslashes escaped.
        var filter = Uri.EscapeDataString($"externalId eq {JsonValue.Create(externalId).ToJsonString()}");
        var users = new List<User>();
        const int page = 200;
        for (var start = 1; ; start += page)
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?filter={filter}&startIndex={start}&count={page}", null, cancellationToken);
            var list = await ReadJsonAsync(response, cancellationToken);
            var resources = list["Resources"] as JsonArray ?? [];
            users.AddRange(resources.OfType<JsonObject>().Select(ScimUserFrom));
            var total = (int?)list["totalResults"] ?? 0;
            if (resources.Count == 0 || start + resources.Count > total)
                return users;
        }
    }

    public async Task<User> UpdateUserAsync(string idOrName, UserChanges changes, CancellationToken cancellationToken = default)
    {
        var user = await GetUserAsync(idOrName, cancellationToken);
        var operations = new JsonArray();
        if (changes.Roles is { } roles)
            operations.Add(Replace("roles", new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray())));
        if (changes.Active is { } active)
            operations.Add(Replace("active", active));
        if (changes.Email is { } email)
            operations.Add(email.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "emails" } : Replace("emails", new JsonArray(new JsonObject { ["value"] = email, ["primary"] = true })));
        if (changes.DisplayName is { } displayName)
            operations.Add(displayName.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "displayName" } : Replace("displayName", displayName));
        if (changes.ExternalId is { } externalId)
            operations.Add(externalId.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "externalId" } : Replace("externalId", externalId));
        if (changes.SlurmAccount is { } account)
            operations.Add(account.Length == 0
                ? new JsonObject { ["op"] = "remove", ["path"] = $"{OpusUserSchema}:slurmAccount" }
                : Replace($"{OpusUserSchema}:slurmAccount", account));
        if (changes.NotifyOnJobEnd is { } notify)
            operations.Add(Replace($"{OpusUserSchema}:notifyOnJobEnd", notify));
        if (operations.Count == 0)
            return user;
        var patch = new JsonObject { ["schemas"] = new JsonArray(ScimPatch), ["Operations"] = operations };
        using var response = await SendJsonAsync(HttpMethod.Patch, $"scim/v2/Users/{Uri.EscapeDataString(user.Id)}", patch, cancellationToken);
        return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));

        static JsonObject Replace(string path, JsonNode value) => new() { ["op"] = "replace", ["path"] = path, ["value"] = value };
    }

    public async Task RemoveUserAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var user = await GetUserAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Delete, $"scim/v2/Users/{Uri.EscapeDataString(user.Id)}", null, cancellationToken);
    }

    private async Task<User?> FindUserAsync(string idOrName, CancellationToken cancellationToken)
    {
        var filter = Uri.EscapeDataString($"userName eq \"{idOrName.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        using (var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?filter={filter}", null, cancellationToken))
        {
            var list = await ReadJsonAsync(response, cancellationToken);
            if ((list["Resources"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault() is { } byName)
                return ScimUserFrom(byName);
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users/{Uri.EscapeDataString(idOrName)}", null, cancellationToken);
            return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));
        }
        catch (OpusNotFoundException)
        {
            return null;
        }
    }

    private static User ScimUserFrom(JsonObject document)
    {
        var emails = document["emails"] as JsonArray;
        return new User
        {
            Id = (string?)document["id"] ?? "",
            UserName = (string?)document["userName"] ?? "",
            DisplayName = (string?)document["displayName"],
            Email = (string?)(emails?.FirstOrDefault(e => (bool?)e?["primary"] == true) ?? emails?.FirstOrDefault())?["value"],
            Active = (bool?)document["active"] ?? true,
            ExternalSubject = (string?)document["externalId"],
            SlurmAccount = (string?)document[OpusUserSchema]?["slurmAccount"],
            NotifyOnJobEnd = (bool?)document[OpusUserSchema]?["notifyOnJobEnd"] ?? false,
            Roles = (document["roles"] as JsonArray ?? []).Select(r => r is JsonObject o ? (string?)o["value"] : (string?)r).OfType<string>().ToList(),
            CreatedAt = UwsTime.Parse((string?)document["meta"]?["created"]) ?? default,
        };
    }
}
