using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>An API token as POST /users/{name}/tokens issued it.</summary>
public sealed record IssuedToken(string User, string Id, string Name, string Secret);

/// <summary>Steps of the authentication tests, all over HTTP: users through SCIM, tokens through /users/{name}/tokens.</summary>
public static class AuthSteps
{
    public const string ScimMediaType = "application/scim+json";
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string ListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string ErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
    public const string PatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    /// <summary>Settings of a server for authentication tests: no anonymous access.</summary>
    public static Dictionary<string, string> Settings(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string> { ["Opus:Auth:AnonymousEnabled"] = "false" };
        foreach (var (key, value) in more)
            settings[key] = value;
        return settings;
    }

    /// <summary>A user name no other test uses.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    public static HttpClient BearerClient(this OpusServer server, string token)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static HttpClient ClientFor(this OpusServer server, IssuedToken token) => server.ClientFor(token.User, token.Secret);

    public static StringContent ScimContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, ScimMediaType);

    /// <summary>Creates a user through SCIM as the admin; returns its SCIM id.</summary>
    public static async Task<string> CreateUserAsync(this OpusServer server, string userName, params string[] roles)
    {
        using var admin = server.AdminClient();
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(UserSchema),
            ["userName"] = userName,
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        using var response = await admin.PostAsync("/scim/v2/Users", ScimContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"SCIM POST {userName}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    /// <summary>Issues a token through the token endpoint, as <paramref name="client"/> (the admin by default).</summary>
    public static async Task<IssuedToken> IssueTokenAsync(this OpusServer server, string user, string? name = null, DateTime? expires = null, HttpClient? client = null)
    {
        name ??= UniqueName("token");
        var form = new List<KeyValuePair<string, string>> { new("name", name) };
        if (expires is { } e)
            form.Add(new("expires", e.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)));
        using var admin = client is null ? server.AdminClient() : null;
        using var response = await (client ?? admin!).PostAsync($"/users/{user}/tokens", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /users/{user}/tokens: {(int)response.StatusCode} {text}");
        var body = JsonNode.Parse(text)!;
        return new IssuedToken(user, body["id"]!.GetValue<string>(), body["name"]!.GetValue<string>(), body["token"]!.GetValue<string>());
    }

    public static async Task RevokeTokenAsync(this OpusServer server, IssuedToken token)
    {
        using var admin = server.AdminClient();
        using var response = await admin.DeleteAsync($"/users/{token.User}/tokens/{token.Id}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    /// <summary>Status of a GET with the client, the body read and discarded.</summary>
    public static async Task<HttpStatusCode> StatusOfAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A 401 that tells the client how to authenticate (RFC 9110 11.6.1).</summary>
    public static void AssertChallenge(HttpResponseMessage response, string context)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{context}: expected 401, got {(int)response.StatusCode}");
        var schemes = response.Headers.WwwAuthenticate.Select(h => h.Scheme).ToList();
        Assert.True(schemes.Contains("Basic") && schemes.Contains("Bearer"), $"{context}: WWW-Authenticate is '{response.Headers.WwwAuthenticate}'");
    }

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Tokens at rest: no column of any table holds a secret, and no byte of the database files
    /// (main file, WAL, journal) does either.
    /// </summary>
    public static async Task AssertNotInDatabaseAsync(OpusServer server, IReadOnlyCollection<string> secrets)
    {
        Assert.NotEmpty(secrets);
        // SQLite or PostgreSQL, whichever the server uses.
        await using (var db = await TestPostgres.OpenDatabaseAsync(server))
        {
            var tables = new List<string>();
            await using (var list = db.CreateCommand())
            {
                list.CommandText = server.PostgresConnection is null
                    ? "SELECT name FROM sqlite_master WHERE type = 'table'"
                    : "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'";
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    tables.Add(reader.GetString(0));
            }

            Assert.Contains("Tokens", tables, StringComparer.OrdinalIgnoreCase);
            var cells = 0;
            foreach (var table in tables)
            {
                await using var select = db.CreateCommand();
                select.CommandText = $"SELECT * FROM \"{table}\"";
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        var value = reader.IsDBNull(i) ? "" : reader.GetValue(i) switch
                        {
                            byte[] bytes => Encoding.UTF8.GetString(bytes),
                            var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                        };
                        cells++;
                        foreach (var secret in secrets)
                            Assert.False(value.Contains(secret, StringComparison.Ordinal), $"{table}.{reader.GetName(i)} holds a token in clear");
                    }
                }
            }

            Assert.True(cells > 0);
        }

        foreach (var file in Directory.GetFiles(server.DataPath, "opus.db*"))
        {
            var content = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            foreach (var secret in secrets)
                Assert.False(content.Contains(secret, StringComparison.Ordinal), $"{Path.GetFileName(file)} holds a token in clear");
        }
    }

    /// <summary>No line of the server's output holds any of the secrets.</summary>
    public static void AssertNotLogged(OpusServer server, IEnumerable<string> secrets)
    {
        var log = server.Log;
        Assert.False(string.IsNullOrWhiteSpace(log), "the server wrote no log at all");
        foreach (var secret in secrets)
        {
            var line = log.Split('\n').FirstOrDefault(l => l.Contains(secret, StringComparison.Ordinal));
            Assert.True(line is null, $"the log shows a token: {line}");
        }
    }
}
