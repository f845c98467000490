using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Vo;

/// <summary>A server without anonymous access and with JSON logs, for the portal tests.</summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await OpusServer.StartAsync(AuthSteps.Settings(("Logging:Console:FormatterName", "json"), ("Opus:Auth:MaxFailures", "1000000")));

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// Portal accounts (issue 18): a token of a user with the role "portal" acts on behalf of the portal's own users with
/// X-Opus-On-Behalf-Of, over UWS, the client API and the event stream; isolation holds between those users, other
/// portals and ordinary users; every such request is logged with both names.
/// </summary>
public sealed class PortalTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private const string Header = "X-Opus-On-Behalf-Of";

    private OpusServer Server => fixture.Server;

    private async Task<HttpClient> AccountAsync(string name, params string[] roles)
    {
        await Server.CreateUserAsync(name, roles);
        return Server.ClientFor(await Server.IssueTokenAsync(name));
    }

    private static HttpRequestMessage OnBehalf(HttpMethod method, string path, string user, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(Header, user);
        return request;
    }

    private static async Task<string> CreateJobAsync(HttpClient portal, string user, string definition, params (string Name, string Value)[] form)
    {
        using var response = await portal.SendAsync(OnBehalf(HttpMethod.Post, $"/rest/{definition}", user,
            new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value)))));
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.AbsolutePath;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        using (var response = await client.SendAsync(request))
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonNode> ScimUserAsync(string userName)
    {
        using var admin = Server.AdminClient();
        var list = JsonNode.Parse(await admin.GetStringAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}"))!;
        Assert.Equal(1, list["totalResults"]!.GetValue<int>());
        return list["Resources"]![0]!;
    }

    [Fact]
    public async Task A_portal_creates_jobs_as_its_user_who_is_created_with_its_definition_roles_and_marked_as_its()
    {
        var portalName = AuthSteps.UniqueName("portal");
        using var portal = await AccountAsync(portalName, "portal", "admin", "copy");
        var alice = AuthSteps.UniqueName("alice");

        var job = await CreateJobAsync(portal, alice, "copy", ("text", "from the portal"), ("PHASE", "RUN"));
        var done = await Eventually.HoldsAsync(async () => (await SendAsync(portal, OnBehalf(HttpMethod.Get, $"{job}?WAIT=30", alice))).Body,
            xml => xml.Contains("<uws:phase>COMPLETED</uws:phase>", StringComparison.Ordinal), "the portal user's job completes");
        Assert.Contains($"<uws:ownerId>{alice}</uws:ownerId>", done);

        // Created at first use with the portal's definition roles: never admin, never portal; marked as the portal's.
        var user = await ScimUserAsync(alice);
        Assert.Equal(["copy"], user["roles"]!.AsArray().Select(r => r!["value"]!.GetValue<string>()));
        Assert.Equal(portalName, user["urn:opus:scim:schemas:extension:2.0:User"]!["createdByPortal"]!.GetValue<string>());
        using (var me = await portal.SendAsync(OnBehalf(HttpMethod.Get, "/me", alice)))
        {
            var who = JsonNode.Parse(await me.Content.ReadAsStringAsync())!;
            Assert.Equal(alice, who["userName"]!.GetValue<string>());
            Assert.False(who["admin"]!.GetValue<bool>());
            Assert.Equal(["copy"], who["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        }

        // The portal's admin role is its own: acting for another of its users, alice's job is someone else's.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(portal, OnBehalf(HttpMethod.Get, job, AuthSteps.UniqueName("bob")))).Status);
        // A second use finds the same user (no second creation) and the same jobs.
        var second = await CreateJobAsync(portal, alice, "copy", ("text", "again"));
        Assert.Single(await ScimAsync(alice));
        var list = (await SendAsync(portal, OnBehalf(HttpMethod.Get, "/rest/copy", alice))).Body;
        Assert.Contains(job[(job.LastIndexOf('/') + 1)..], list);
        Assert.Contains(second[(second.LastIndexOf('/') + 1)..], list);
    }

    private async Task<JsonArray> ScimAsync(string userName)
    {
        using var admin = Server.AdminClient();
        var list = JsonNode.Parse(await admin.GetStringAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}"))!;
        return list["Resources"]!.AsArray();
    }

    [Fact]
    public async Task Users_of_a_portal_are_isolated_from_each_other_from_other_portals_and_from_ordinary_users()
    {
        using var portalA = await AccountAsync(AuthSteps.UniqueName("portal-a"), "portal", "copy");
        using var portalB = await AccountAsync(AuthSteps.UniqueName("portal-b"), "portal", "copy");
        var carolName = AuthSteps.UniqueName("carol");
        using var carol = await AccountAsync(carolName, "copy");
        var alice = AuthSteps.UniqueName("alice");
        var bob = AuthSteps.UniqueName("bob");

        var alicesJob = await CreateJobAsync(portalA, alice, "copy", ("text", "alice's"));
        var carolsJob = await carol.CreateJobAsync("copy", ("text", "carol's"));
        var alicesId = alicesJob[(alicesJob.LastIndexOf('/') + 1)..];

        // Another user of the same portal does not see alice's job, in UWS or in the client API.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(portalA, OnBehalf(HttpMethod.Get, alicesJob, bob))).Status);
        Assert.DoesNotContain(alicesId, (await SendAsync(portalA, OnBehalf(HttpMethod.Get, "/rest/copy", bob))).Body);
        var bobsPage = JsonNode.Parse((await SendAsync(portalA, OnBehalf(HttpMethod.Get, "/jobs?definition=copy", bob))).Body)!;
        Assert.Empty(bobsPage["jobs"]!.AsArray());
        var alicesPage = JsonNode.Parse((await SendAsync(portalA, OnBehalf(HttpMethod.Get, "/jobs?definition=copy", alice))).Body)!;
        Assert.Equal([alicesId], alicesPage["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
        Assert.Equal(alice, alicesPage["jobs"]![0]!["owner"]!.GetValue<string>());
        // Nor does an ordinary user, and alice does not see theirs.
        Assert.Equal(HttpStatusCode.NotFound, (await carol.GetAsync(alicesJob)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(portalA, OnBehalf(HttpMethod.Get, carolsJob, alice))).Status);

        // A user created by portal A cannot be acted as by portal B; an ordinary user, or the portal itself, by no portal.
        foreach (var (client, name) in new[] { (portalB, alice), (portalA, carolName), (portalB, carolName), (portalA, "admin") })
        {
            var (status, body) = await SendAsync(client, OnBehalf(HttpMethod.Get, "/rest/copy", name));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Single(body.TrimEnd('\n').Split('\n'));
            Assert.DoesNotContain(alicesId, body);
        }

        // Portal B's job for alice was not created either: alice still has one job.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(portalB, OnBehalf(HttpMethod.Post, "/rest/copy", alice,
            new FormUrlEncodedContent([new("text", "stolen")])))).Status);
        Assert.Single(JsonNode.Parse((await SendAsync(portalA, OnBehalf(HttpMethod.Get, "/jobs?definition=copy", alice))).Body)!["jobs"]!.AsArray());
    }

    [Fact]
    public async Task The_header_is_refused_to_accounts_without_the_portal_role_and_a_bad_name_is_a_400()
    {
        using var carol = await AccountAsync(AuthSteps.UniqueName("carol"), "copy");
        using var admin = Server.AdminClient();
        using var portal = await AccountAsync(AuthSteps.UniqueName("portal"), "portal", "copy");
        var someone = AuthSteps.UniqueName("someone");
        foreach (var client in new[] { carol, admin })
        {
            var (status, body) = await SendAsync(client, OnBehalf(HttpMethod.Post, "/rest/copy", someone, new FormUrlEncodedContent([new("text", "x")])));
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("only a portal account (role 'portal') may act on behalf of another user\n", body);
        }

        // Nobody was created by the refused requests.
        Assert.Empty(await ScimAsync(someone));

        foreach (var bad in new[] { "../etc", "with space", "-dash", new string('a', 129), "0123456789abcdef0123456789abcdef" })
        {
            var (status, body) = await SendAsync(portal, OnBehalf(HttpMethod.Get, "/rest/copy", bad));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Single(body.TrimEnd('\n').Split('\n'));
        }

        // Two values of the header are refused, not one of them picked.
        using var twice = new HttpRequestMessage(HttpMethod.Get, "/rest/copy");
        twice.Headers.Add(Header, [someone, "other"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(portal, twice)).Status);

        // Without credentials the header changes nothing: 401.
        using var anonymous = new HttpClient { BaseAddress = Server.BaseUri };
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(anonymous, OnBehalf(HttpMethod.Get, "/rest/copy", someone))).Status);

        // A deactivated portal user cannot be acted as.
        await CreateJobAsync(portal, someone, "copy", ("text", "x"));
        using (var deactivate = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/scim/v2/Users/{(await ScimAsync(someone))[0]!["id"]}")
        {
            Content = AuthSteps.ScimContent(new JsonObject
            {
                ["schemas"] = new JsonArray(AuthSteps.PatchSchema),
                ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "active", ["value"] = false }),
            }),
        }))
            Assert.Equal(HttpStatusCode.OK, deactivate.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(portal, OnBehalf(HttpMethod.Get, "/rest/copy", someone))).Status);
    }

    [Fact]
    public async Task A_portal_cannot_issue_or_list_tokens_of_the_users_it_acts_for()
    {
        using var portal = await AccountAsync(AuthSteps.UniqueName("portal"), "portal", "copy");
        var user = AuthSteps.UniqueName("dora");
        await CreateJobAsync(portal, user, "copy", ("text", "x"));
        foreach (var request in new[] { OnBehalf(HttpMethod.Post, $"/users/{user}/tokens", user, new FormUrlEncodedContent([new("name", "stolen")])), OnBehalf(HttpMethod.Get, $"/users/{user}/tokens", user) })
        {
            var (status, body) = await SendAsync(portal, request);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("X-Opus-On-Behalf-Of: a portal may not manage the tokens of the users it acts for", body, StringComparison.Ordinal);
        }

        using var admin = Server.AdminClient();
        Assert.Empty(JsonNode.Parse(await admin.GetStringAsync($"/users/{user}/tokens"))!["tokens"]!.AsArray());
    }

    [Fact]
    public async Task The_event_stream_on_behalf_of_a_user_shows_that_users_jobs_only()
    {
        using var portal = await AccountAsync(AuthSteps.UniqueName("portal"), "portal", "copy");
        using var carol = await AccountAsync(AuthSteps.UniqueName("carol"), "copy");
        var alice = AuthSteps.UniqueName("alice");

        using var request = OnBehalf(HttpMethod.Get, "/events", alice);
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await portal.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        using var bound = new CancellationTokenSource(Eventually.Bound);
        Assert.Equal("event: ready", await reader.ReadLineAsync(bound.Token));

        // Carol's job is created first: the stream keeps the feed's order, so alice's event comes after any of carol's.
        var carols = await carol.CreateJobAsync("copy", ("text", "carol's"));
        var alices = await CreateJobAsync(portal, alice, "copy", ("text", "alice's"));
        var alicesId = alices[(alices.LastIndexOf('/') + 1)..];
        var seen = new StringBuilder();
        while (await reader.ReadLineAsync(bound.Token) is { } line)
        {
            seen.AppendLine(line);
            if (line.Contains(alicesId, StringComparison.Ordinal))
                break;
        }

        Assert.Contains(alicesId, seen.ToString());
        Assert.DoesNotContain(carols[(carols.LastIndexOf('/') + 1)..], seen.ToString());
    }

    [Fact]
    public async Task Every_request_on_behalf_is_in_the_access_log_and_the_audit_trail_with_both_names()
    {
        var portalName = AuthSteps.UniqueName("portal");
        using var portal = await AccountAsync(portalName, "portal", "copy");
        var alice = AuthSteps.UniqueName("alice");
        var job = await CreateJobAsync(portal, alice, "copy", ("text", "logged"));

        var events = await Eventually.HoldsAsync(() => Task.FromResult(LogEvents(Server.Log)),
            all => all.Any(e => Category(e) == "Opus.Requests" && State(e, "Path") == "/rest/copy" && State(e, "User") == alice),
            "the portal's request in the access log");
        var logged = events.First(e => Category(e) == "Opus.Requests" && State(e, "Path") == "/rest/copy" && State(e, "User") == alice);
        Assert.Equal(portalName, State(logged, "Portal"));
        Assert.Equal("303", State(logged, "StatusCode"));
        Assert.Contains(events, e => Category(e) == "Opus.Audit" && State(e, "Action") == "portal.act" && State(e, "Portal") == portalName
            && State(e, "UserName") == alice && State(e, "Method") == "POST" && State(e, "Path") == "/rest/copy");
        Assert.Contains(events, e => Category(e) == "Opus.Audit" && State(e, "Action") == "user.create" && State(e, "Portal") == portalName
            && State(e, "UserName") == alice);
        Assert.Contains(events, e => Category(e) == "Opus.Audit" && State(e, "Action") == "job.create" && State(e, "Owner") == alice
            && State(e, "JobId") == job[(job.LastIndexOf('/') + 1)..]);
    }

    [Fact]
    public async Task Notify_true_is_refused_on_a_server_that_sends_no_mail()
    {
        using var carol = await AccountAsync(AuthSteps.UniqueName("carol"), "copy");
        using var response = await carol.PostFormAsync("/rest/copy", ("text", "x"), ("NOTIFY", "true"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("NOTIFY: this server sends no mail (Opus:Mail:Host is not set)\n", await response.Content.ReadAsStringAsync());
        using var notBool = await carol.PostFormAsync("/rest/copy", ("text", "x"), ("NOTIFY", "maybe"));
        Assert.Equal(HttpStatusCode.BadRequest, notBool.StatusCode);
        Assert.Equal("NOTIFY: 'maybe' is not true or false\n", await notBool.Content.ReadAsStringAsync());
        // NOTIFY=false asks for nothing, so it is accepted anywhere.
        using var off = await carol.PostFormAsync("/rest/copy", ("text", "x"), ("NOTIFY", "false"));
        Assert.Equal(HttpStatusCode.SeeOther, off.StatusCode);
    }

    private static List<JsonNode> LogEvents(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{')).Select(line => JsonNode.Parse(line)).OfType<JsonNode>().ToList();

    private static string? Category(JsonNode e) => e["Category"]?.GetValue<string>();

    private static string? State(JsonNode e, string key) => e["State"]?[key]?.ToString();
}
