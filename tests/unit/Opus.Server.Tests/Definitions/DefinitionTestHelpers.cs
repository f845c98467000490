using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Opus.Core.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>Steps shared by the /jdl, input and result tests. Every UWS document read here is schema-validated.</summary>
public static class DefinitionTestHelpers
{
    public static readonly XNamespace Custom = "urn:uwscustom";

    /// <summary>A sample definition file of the repository, as the server loads it at start.</summary>
    public static JobDefinition Sample(string name) =>
        DefinitionFiles.Read(Path.Combine(OpusServer.RepositoryRoot, "definitions", $"{name}.yaml"));

    /// <summary>The canonical form of a definition (its JSON), to compare two definitions field by field.</summary>
    public static string Canonical(JobDefinition definition) => DefinitionFormats.Write(definition, DefinitionFormat.Json);

    public static string Sha256Hex(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Bytes that differ from test to test, so a store never already holds them.</summary>
    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    /// <summary>Sends a definition document (YAML, JSON or VOTable) as the body.</summary>
    public static Task<HttpResponseMessage> SendDefinitionAsync(this HttpClient client, HttpMethod method, string path, string document) =>
        client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(document, Encoding.UTF8, "application/yaml") });

    /// <summary>Proposes a definition with PUT /jdl/{name}; asserts 201 and returns the answer's JSON.</summary>
    public static async Task<JsonObject> ProposeAsync(this HttpClient client, string name, string document, bool publish = false)
    {
        using var response = await client.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}{(publish ? "?publish=true" : "")}", document);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT /jdl/{name}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>GET /jdl/{name} as JSON, read back with the server's own reader.</summary>
    public static async Task<JobDefinition> GetDefinitionAsync(this HttpClient client, string name, string? version = null)
    {
        var path = $"/jdl/{name}?format=json{(version is null ? "" : $"&version={Uri.EscapeDataString(version)}")}";
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return DefinitionFormats.Read(body, path);
    }

    /// <summary>GET /jdl/{name}/versions: version to (status, current).</summary>
    public static async Task<Dictionary<string, (string Status, bool Current)>> GetVersionsAsync(this HttpClient client, string name)
    {
        using var response = await client.GetAsync($"/jdl/{name}/versions");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /jdl/{name}/versions: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = JsonNode.Parse(body)!;
        Assert.Equal(name, (string?)document["name"]);
        return document["versions"]!.AsArray().ToDictionary(
            v => (string)v!["version"]!,
            v => ((string)v!["status"]!, (bool)v["current"]!));
    }

    /// <summary>The names GET /jdl lists for the caller.</summary>
    public static async Task<List<string>> ListDefinitionNamesAsync(this HttpClient client)
    {
        using var response = await client.GetAsync("/jdl");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /jdl: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!["definitions"]!.AsArray().Select(d => (string)d!["name"]!).ToList();
    }

    /// <summary>PHASE=RUN, then waits (bounded) for a final phase; returns the final job document.</summary>
    public static async Task<XDocument> RunToEndAsync(this HttpClient client, string jobPath, double? seconds = null)
    {
        using (var run = await client.PostFormAsync($"{jobPath}/phase", ("PHASE", "RUN")))
            AssertSeeOther(run, client, jobPath);
        return await client.WaitForFinalPhaseAsync(jobPath, seconds);
    }

    /// <summary>Runs the job and asserts it COMPLETED (the error summary in the message otherwise).</summary>
    public static async Task<XDocument> RunToCompletionAsync(this HttpClient client, string jobPath)
    {
        var done = await client.RunToEndAsync(jobPath);
        Assert.True(done.Phase() == "COMPLETED", $"{jobPath} ended {done.Phase()}: {done}");
        return done;
    }

    /// <summary>The job's results by id.</summary>
    public static Dictionary<string, XElement> Results(this XDocument job) =>
        job.Child("results").Elements(U("result")).ToDictionary(r => (string)r.Attribute("id")!);

    public static async Task<byte[]> GetBytesAsync(this HttpClient client, string path, string? expectedMediaType = null)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        if (expectedMediaType is not null)
            Assert.Equal(expectedMediaType, response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    /// <summary>POSTs a job creation as multipart/form-data: form fields, then files (field, file name, bytes).</summary>
    public static Task<HttpResponseMessage> PostMultipartAsync(
        this HttpClient client, string path, (string Name, string Value)[] fields, params (string Field, string FileName, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        foreach (var (field, fileName, content) in files)
            form.Add(new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, field, fileName);
        return client.PostAsync(path, form);
    }

    /// <summary>Asserts the 303 of a job creation and returns the job path.</summary>
    public static async Task<string> CreatedJobAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"expected 303, got {(int)response.StatusCode}: {body}");
        return response.Headers.Location!.AbsolutePath;
    }

    /// <summary>The ids of every job of a list the caller sees.</summary>
    public static async Task<List<string>> JobIdsAsync(this HttpClient client, string definition) =>
        (await client.GetJobListAsync(definition)).JobRefIds();

    /// <summary>
    /// The definition version a job recorded, from the server's database: the UWS job document has no
    /// place for it (a job is created from, and runs, exactly this version).
    /// </summary>
    public static async Task<string> RecordedDefinitionVersionAsync(OpusServer server, string jobId)
    {
        // SQLite or PostgreSQL, whichever the server uses: quoted names and @parameters suit both.
        await using var db = await TestPostgres.OpenDatabaseAsync(server);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT \"DefinitionVersion\" FROM jobs WHERE \"Id\" = @id";
        AddParameter(command, "id", jobId);
        return (string?)await command.ExecuteScalarAsync() ?? throw new Xunit.Sdk.XunitException($"job {jobId} is not in the database");
    }

    /// <summary>
    /// Creates a user through SCIM (as the admin), gives them an API token with POST /users/{name}/tokens
    /// and returns a client signed in as that user.
    /// </summary>
    public static async Task<HttpClient> CreateUserAsync(OpusServer server, string userName, params string[] roles)
    {
        using var admin = server.AdminClient();
        var user = new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:User"),
            ["userName"] = userName,
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        using (var created = await admin.PostAsync("/scim/v2/Users", new StringContent(user.ToJsonString(), Encoding.UTF8, "application/scim+json")))
        {
            var body = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"SCIM POST /Users: {(int)created.StatusCode} {body}");
        }

        string token;
        using (var issued = await admin.PostAsync($"/users/{Uri.EscapeDataString(userName)}/tokens",
                   new StringContent(new JsonObject { ["name"] = "tests" }.ToJsonString(), Encoding.UTF8, "application/json")))
        {
            var body = await issued.Content.ReadAsStringAsync();
            Assert.True(issued.StatusCode == HttpStatusCode.Created, $"POST /users/{userName}/tokens: {(int)issued.StatusCode} {body}");
            token = (string?)JsonNode.Parse(body)!["token"] ?? throw new Xunit.Sdk.XunitException($"no token in {body}");
        }

        var client = server.ClientFor(userName, token);
        using var probe = await client.GetAsync("/jdl");
        Assert.True(probe.StatusCode == HttpStatusCode.OK, $"{userName}'s new token is refused: {(int)probe.StatusCode}");
        return client;
    }
}
