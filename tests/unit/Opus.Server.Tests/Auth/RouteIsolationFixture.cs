using System.Net;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Auth;

/// <summary>Who sends a request of the route table.</summary>
public enum Who
{
    Nobody,
    WrongToken,
    WrongBearer,
    ExpiredToken,
    RevokedToken,
    MismatchedName,
    OtherUser,
    Owner,
    Admin,
}

/// <summary>
/// One server without anonymous access, and what the route table needs: alice (roles copy and
/// sleep) owns the resources, bob (role copy only) is the other user; alice also has an expired
/// and a revoked token. Failed attempts are not limited here: the table sends hundreds.
/// </summary>
public sealed class RouteIsolationFixture : IAsyncLifetime
{
    public const string PendingText = "pending original";

    private readonly Dictionary<Who, HttpClient> _clients = [];

    public OpusServer Server { get; private set; } = null!;

    public string AliceName { get; } = "alice";

    public string AliceId { get; private set; } = "";

    public IssuedToken Alice { get; private set; } = null!;

    public IssuedToken Bob { get; private set; } = null!;

    public IssuedToken AliceExpired { get; private set; } = null!;

    public IssuedToken AliceRevoked { get; private set; } = null!;

    /// <summary>Alice's completed copy job (a path such as /rest/copy/abc).</summary>
    public string DoneJob { get; private set; } = "";

    public string DoneText { get; } = $"alice's result {Guid.NewGuid():N}";

    /// <summary>SHA-256 of the done job's result: its id in the store.</summary>
    public string ResultSha { get; private set; } = "";

    /// <summary>Alice's pending sleep job: bob has no role for sleep, and still gets 404 for it.</summary>
    public string SleepJob { get; private set; } = "";

    public string BobDoneJob { get; private set; } = "";

    public string BobResultSha { get; private set; } = "";

    public List<string> Secrets { get; } = [];

    public HttpClient AdminClient => Client(Who.Admin);

    public HttpClient AliceClient => Client(Who.Owner);

    public HttpClient Client(Who who) => _clients[who];

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Auth:MaxFailures", "1000000")));
        AliceId = await Server.CreateUserAsync(AliceName, "copy", "sleep");
        await Server.CreateUserAsync("bob", "copy");
        Alice = await Server.IssueTokenAsync(AliceName, "main");
        Bob = await Server.IssueTokenAsync("bob", "main");
        // Used once at once (below): seconds to spare on a machine whose load average is 10.
        var expiry = DateTime.UtcNow.AddSeconds(5);
        AliceExpired = await Server.IssueTokenAsync(AliceName, "short-lived", expiry);
        using (var early = Server.ClientFor(AliceExpired))
            Assert.Equal(HttpStatusCode.OK, await early.StatusOfAsync("/rest/copy"));
        AliceRevoked = await Server.IssueTokenAsync(AliceName, "to-revoke");
        Secrets.AddRange([Alice.Secret, Bob.Secret, AliceExpired.Secret, AliceRevoked.Secret]);

        _clients[Who.Nobody] = Server.Client;
        _clients[Who.WrongToken] = Server.ClientFor(AliceName, "opus_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        _clients[Who.WrongBearer] = Server.BearerClient("opus_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        _clients[Who.ExpiredToken] = Server.ClientFor(AliceExpired);
        _clients[Who.RevokedToken] = Server.BearerClient(AliceRevoked.Secret);
        // A valid token of alice's under bob's name: HTTP Basic needs both to match.
        _clients[Who.MismatchedName] = Server.ClientFor("bob", Alice.Secret);
        _clients[Who.OtherUser] = Server.ClientFor(Bob);
        _clients[Who.Owner] = Server.ClientFor(Alice);
        _clients[Who.Admin] = Server.BearerClient(OpusServer.AdminToken);

        // The revoked token did work, as the expired one did above: what refuses them later is revocation and expiry.
        Assert.Equal(HttpStatusCode.OK, await Client(Who.RevokedToken).StatusOfAsync("/rest/copy"));
        await Server.RevokeTokenAsync(AliceRevoked);

        DoneJob = await AliceClient.CreateCompletedCopyJobAsync(DoneText);
        ResultSha = AuthSteps.Sha256Hex(DoneText);
        SleepJob = await AliceClient.CreateJobAsync("sleep", ("seconds", "1"));
        var bobText = $"bob's result {Guid.NewGuid():N}";
        BobDoneJob = await Client(Who.OtherUser).CreateCompletedCopyJobAsync(bobText);
        BobResultSha = AuthSteps.Sha256Hex(bobText);

        var left = expiry.AddMilliseconds(300) - DateTime.UtcNow;
        if (left > TimeSpan.Zero)
            await Task.Delay(left);
    }

    /// <summary>A new pending copy job of alice's, for a request that changes or removes it.</summary>
    public Task<string> FreshJobAsync() => AliceClient.CreateJobAsync("copy", ("text", PendingText));

    /// <summary>Alice's job is as it was: still pending, with its text.</summary>
    public async Task AssertJobIntactAsync(string job)
    {
        Assert.Equal("PENDING", await AliceClient.GetTextAsync($"{job}/phase"));
        Assert.Equal(PendingText, await AliceClient.GetTextAsync($"{job}/parameters/text"));
    }

    /// <summary>A new definition named scratch-..., proposed only or published, by the admin.</summary>
    public async Task<string> FreshDefinitionAsync(bool publish)
    {
        var name = AuthSteps.UniqueName("scratch");
        using var response = await AdminClient.PostAsync(publish ? "/jdl?publish=true" : "/jdl", new StringContent(ScratchYaml(name, "1.0")));
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"propose {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    public static string ScratchYaml(string name, string version) => $"""
        name: {name}
        version: "{version}"
        description: A definition made by a test.
        executionDuration: 10
        script: |
          true
        """;

    /// <summary>sleep.yaml as shipped, under another version: a proposal for a definition bob has no role for.</summary>
    public static string SleepVersionYaml(string version) =>
        File.ReadAllText(Path.Combine(OpusServer.RepositoryRoot, "definitions", "sleep.yaml")).Replace("version: \"1.0\"", $"version: \"{version}\"", StringComparison.Ordinal);

    /// <summary>The versions of a definition, as the admin sees them.</summary>
    public async Task<List<(string Version, string Status)>> VersionsAsync(string name)
    {
        var versions = await AdminClient.GetJsonAsync($"/jdl/{name}/versions");
        return versions["versions"]!.AsArray().Select(v => (v!["version"]!.GetValue<string>(), v["status"]!.GetValue<string>())).ToList();
    }

    /// <summary>A new user scratch-... with the role copy; returns its SCIM id and name.</summary>
    public async Task<(string Id, string Name)> FreshUserAsync()
    {
        var name = AuthSteps.UniqueName("scratch");
        return (await Server.CreateUserAsync(name, "copy"), name);
    }

    /// <summary>The user is as created: present, active, role copy only, no display name.</summary>
    public async Task AssertUserIntactAsync(string id)
    {
        var user = await AdminClient.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Null(user["displayName"]);
        Assert.Equal(["copy"], user["roles"]!.AsArray().Select(r => r!["value"]!.GetValue<string>()));
    }

    /// <summary>A new token of alice's, issued by the admin.</summary>
    public async Task<IssuedToken> FreshTokenAsync()
    {
        var token = await Server.IssueTokenAsync(AliceName);
        lock (Secrets)
            Secrets.Add(token.Secret);
        return token;
    }

    public async Task AssertTokenIntactAsync(IssuedToken token)
    {
        var described = await AliceClient.GetJsonAsync($"/users/{AliceName}/tokens/{token.Id}");
        Assert.Null(described["revokedAt"]);
        using var client = Server.ClientFor(token);
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest/copy"));
    }

    public static JsonObject ScimUser(string userName, string? displayName = null, params string[] roles)
    {
        var user = new JsonObject
        {
            ["schemas"] = new JsonArray(AuthSteps.UserSchema),
            ["userName"] = userName,
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        if (displayName is not null)
            user["displayName"] = displayName;
        return user;
    }

    public async Task DisposeAsync()
    {
        foreach (var (who, client) in _clients)
        {
            if (who != Who.Nobody)
                client.Dispose();
        }

        if (Server is not null)
            await Server.DisposeAsync();
    }
}
