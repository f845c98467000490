using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Auth;

/// <summary>
/// Every route against every kind of caller: no credentials, a wrong token (Basic and Bearer), an
/// expired token, a revoked token, a valid token under another name, another user's token, the
/// owner's, and an admin's. Another user never reaches alice's job, result, store entity or tokens;
/// a definition without a role answers 403; nothing changes on a refused request.
/// </summary>
public sealed class RouteIsolationTests(RouteIsolationFixture fixture) : IClassFixture<RouteIsolationFixture>
{
    /// <summary>What a route answers the owner (alice), the other user (bob) and an admin.</summary>
    public sealed record Expect(int Owner, int Other, int Admin);

    /// <summary>A request ready to send, and how to see that a refused one changed nothing.</summary>
    public sealed record Target(HttpMethod Method, string Path, HttpContent? Content = null, Func<Task>? Intact = null);

    /// <summary>One row: a route, what it answers, and for lists a text bob must not see in his answer; a stream's body is not read.</summary>
    public sealed record Route(string Name, Expect Expect, Func<RouteIsolationFixture, Task<Target>> Build, Func<RouteIsolationFixture, string>? HiddenFromOther = null, bool Streams = false);

    private static readonly Expect Readable = new(200, 404, 200);
    private static readonly Expect Changeable = new(303, 404, 303);
    private static readonly Expect Listed = new(200, 200, 200);
    private static readonly Expect NeedsRole = new(200, 403, 200);
    private static readonly Expect AdminOnly = new(403, 403, 200);
    private static readonly Expect OwnOnly = new(200, 403, 200);

    public static readonly IReadOnlyList<Route> Routes =
    [
        .. UwsRoutes(), .. DefinitionRoutes(), .. StoreRoutes(), .. ScimRoutes(), .. TokenRoutes(), .. ProvenanceRoutes(), .. ClientApiRoutes(),
    ];

    public static IEnumerable<object[]> Cases =>
        from route in Routes
        from who in Enum.GetValues<Who>()
        select new object[] { route.Name, who };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Route_answers_each_caller_as_it_may(string routeName, Who who)
    {
        var route = Routes.Single(r => r.Name == routeName);
        var target = await route.Build(fixture);
        using var request = new HttpRequestMessage(target.Method, target.Path) { Content = target.Content };
        using var response = await fixture.Client(who).SendAsync(request, route.Streams ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead);
        var body = route.Streams && response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        var context = $"{routeName} as {who}: {status} {Shorten(body)}";

        int expected;
        switch (who)
        {
            case Who.Owner:
                expected = route.Expect.Owner;
                break;
            case Who.OtherUser:
                expected = route.Expect.Other;
                break;
            case Who.Admin:
                expected = route.Expect.Admin;
                break;
            default:
                AuthSteps.AssertChallenge(response, context);
                expected = 401;
                break;
        }

        Assert.True(status == expected, $"expected {expected}; {context}");
        if (who == Who.OtherUser && status == 200 && route.HiddenFromOther is { } hidden)
            Assert.DoesNotContain(hidden(fixture), body);
        if (status >= 400 && target.Intact is { } intact)
            await intact();
    }

    [Fact]
    public void The_table_covers_every_area()
    {
        foreach (var prefix in new[] { "GET /rest", "POST /rest", "DELETE /rest", "PUT /rest", "GET /jdl", "POST /jdl", "PUT /jdl", "DELETE /jdl", "GET /store", "GET /scim/v2", "POST /scim/v2", "PUT /scim/v2", "PATCH /scim/v2", "DELETE /scim/v2", "GET /users", "POST /users", "DELETE /users", "GET /rest/copy/{done}/prov", "GET /provsap", "GET /me", "GET /jobs", "GET /events", "GET /status" })
            Assert.Contains(Routes, r => r.Name.StartsWith(prefix, StringComparison.Ordinal));
        Assert.Equal(Routes.Count, Routes.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public async Task Users_list_only_their_own_jobs_and_admins_see_every_owner()
    {
        var aliceList = await fixture.AliceClient.GetJobListAsync("copy");
        var aliceIds = aliceList.JobRefIds();
        Assert.Contains(UwsTestHelpers.JobIdOf(fixture.DoneJob), aliceIds);
        Assert.DoesNotContain(UwsTestHelpers.JobIdOf(fixture.BobDoneJob), aliceIds);
        // The owner is shown to admins only.
        Assert.All(aliceList.JobRefs(), j => Assert.Null(j.Element(UwsTestHelpers.U("ownerId"))));

        var bobIds = (await fixture.Client(Who.OtherUser).GetJobListAsync("copy")).JobRefIds();
        Assert.Contains(UwsTestHelpers.JobIdOf(fixture.BobDoneJob), bobIds);
        Assert.DoesNotContain(UwsTestHelpers.JobIdOf(fixture.DoneJob), bobIds);

        var adminList = await fixture.AdminClient.GetJobListAsync("copy");
        string? OwnerOf(string job) => adminList.JobRefs().Single(j => (string?)j.Attribute("id") == UwsTestHelpers.JobIdOf(job)).Element(UwsTestHelpers.U("ownerId"))?.Value;
        Assert.Equal("alice", OwnerOf(fixture.DoneJob));
        Assert.Equal("bob", OwnerOf(fixture.BobDoneJob));
        Assert.Equal("alice", (await fixture.AdminClient.GetDocumentAsync(fixture.DoneJob)).Child("ownerId").Value);
    }

    [Fact]
    public async Task Alice_cannot_reach_bobs_job_or_result_either()
    {
        var alice = fixture.AliceClient;
        foreach (var path in new[] { fixture.BobDoneJob, $"{fixture.BobDoneJob}/results/output", $"{fixture.BobDoneJob}/stdout", $"/store/{fixture.BobResultSha}", $"/store/?ID={fixture.BobResultSha}" })
            Assert.Equal(HttpStatusCode.NotFound, await alice.StatusOfAsync(path));
        Assert.Equal(HttpStatusCode.OK, await fixture.Client(Who.OtherUser).StatusOfAsync($"/store/{fixture.BobResultSha}"));
    }

    [Fact]
    public async Task The_runner_callback_takes_no_user_credential()
    {
        var job = UwsTestHelpers.JobIdOf(fixture.DoneJob);
        foreach (var who in new[] { Who.Nobody, Who.Owner, Who.Admin })
        {
            using var response = await fixture.Client(who).PostFormAsync("/handler/job_event", ("job", job), ("event", "1700000000 EXECUTING"));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{who}: {(int)response.StatusCode}");
        }

        Assert.Equal("COMPLETED", await fixture.AliceClient.GetTextAsync($"{fixture.DoneJob}/phase"));
    }

    [Fact]
    public void No_token_is_in_the_log()
    {
        lock (fixture.Secrets)
            AuthSteps.AssertNotLogged(fixture.Server, [.. fixture.Secrets, OpusServer.AdminToken]);
    }

    private static IEnumerable<Route> UwsRoutes()
    {
        Route Read(string suffix) => new($"GET /rest/copy/{{done}}{suffix}", Readable, f => Get($"{f.DoneJob}{suffix}"));

        yield return new("GET /rest", Listed, _ => Get("/rest"), _ => "sleep");
        yield return new("GET /rest/copy", Listed, _ => Get("/rest/copy"), f => UwsTestHelpers.JobIdOf(f.DoneJob));
        yield return new("GET /rest/copy?PHASE=COMPLETED", Listed, _ => Get("/rest/copy?PHASE=COMPLETED"), f => UwsTestHelpers.JobIdOf(f.DoneJob));
        yield return new("GET /rest/copy?LAST=5", Listed, _ => Get("/rest/copy?LAST=5"), f => UwsTestHelpers.JobIdOf(f.DoneJob));
        yield return new("GET /rest/sleep", NeedsRole, _ => Get("/rest/sleep"));
        yield return new("POST /rest/sleep", new(303, 403, 303), _ => Task.FromResult(Form(HttpMethod.Post, "/rest/sleep", null, ("seconds", "1"))));

        yield return Read("");
        yield return Read("?WAIT=5");
        foreach (var sub in new[] { "/phase", "/executionduration", "/destruction", "/quote", "/owner", "/error", "/results", "/results/output", "/parameters", "/parameters/text", "/stdout", "/stderr" })
            yield return Read(sub);
        yield return new("GET /rest/sleep/{pending}", Readable, f => Get(f.SleepJob));

        Route Change(string name, string suffix, HttpMethod method, params (string, string)[] form) =>
            new(name, Changeable, async f =>
            {
                var job = await f.FreshJobAsync();
                return Form(method, $"{job}{suffix}", () => f.AssertJobIntactAsync(job), form);
            });

        var future = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        yield return Change("POST /rest/copy/{fresh} (parameters)", "", HttpMethod.Post, ("text", "changed by the caller"));
        yield return Change("POST /rest/copy/{fresh} ACTION=DELETE", "", HttpMethod.Post, ("ACTION", "DELETE"));
        yield return Change("DELETE /rest/copy/{fresh}", "", HttpMethod.Delete);
        yield return Change("POST /rest/copy/{fresh}/phase RUN", "/phase", HttpMethod.Post, ("PHASE", "RUN"));
        yield return Change("POST /rest/copy/{fresh}/phase ABORT", "/phase", HttpMethod.Post, ("PHASE", "ABORT"));
        yield return Change("POST /rest/copy/{fresh}/executionduration", "/executionduration", HttpMethod.Post, ("EXECUTIONDURATION", "120"));
        yield return Change("POST /rest/copy/{fresh}/destruction", "/destruction", HttpMethod.Post, ("DESTRUCTION", future));
        yield return Change("POST /rest/copy/{fresh}/parameters", "/parameters", HttpMethod.Post, ("text", "changed by the caller"));
        yield return Change("POST /rest/copy/{fresh}/parameters/text", "/parameters/text", HttpMethod.Post, ("VALUE", "changed by the caller"));
        yield return new("PUT /rest/copy/{fresh}/parameters/text", Changeable, async f =>
        {
            var job = await f.FreshJobAsync();
            return new Target(HttpMethod.Put, $"{job}/parameters/text", new StringContent("changed by the caller", Encoding.UTF8, "text/plain"), () => f.AssertJobIntactAsync(job));
        });
    }

    private static IEnumerable<Route> DefinitionRoutes()
    {
        yield return new("GET /jdl", Listed, _ => Get("/jdl"), _ => "\"name\":\"sleep\"");
        yield return new("GET /jdl/sleep", NeedsRole, _ => Get("/jdl/sleep"));
        yield return new("GET /jdl/sleep?version=1.0&format=yaml", NeedsRole, _ => Get("/jdl/sleep?version=1.0&format=yaml"));
        yield return new("GET /jdl/sleep/versions", NeedsRole, _ => Get("/jdl/sleep/versions"));
        yield return new("GET /jdl/sleep/script", NeedsRole, _ => Get("/jdl/sleep/script"));

        // Proposals of a new version of sleep: alice (role sleep) may, bob (no role) may not.
        Route Propose(string name, HttpMethod method, string path) => new(name, new(201, 403, 201), f =>
        {
            var version = $"9.{Guid.NewGuid():N}";
            return Task.FromResult(new Target(method, path, new StringContent(RouteIsolationFixture.SleepVersionYaml(version), Encoding.UTF8, "application/yaml"),
                async () => Assert.DoesNotContain(await f.VersionsAsync("sleep"), v => v.Version == version)));
        });
        yield return Propose("POST /jdl", HttpMethod.Post, "/jdl");
        yield return Propose("PUT /jdl/sleep", HttpMethod.Put, "/jdl/sleep");

        yield return new("DELETE /jdl/{fresh}", new(403, 403, 204), async f =>
        {
            var name = await f.FreshDefinitionAsync(publish: true);
            return new Target(HttpMethod.Delete, $"/jdl/{name}", null, async () => Assert.Equal(HttpStatusCode.OK, await f.AdminClient.StatusOfAsync($"/jdl/{name}")));
        });
        yield return new("POST /jdl/{fresh}/publish", new(403, 403, 303), async f =>
        {
            var name = await f.FreshDefinitionAsync(publish: false);
            return Form(HttpMethod.Post, $"/jdl/{name}/publish", async () => Assert.Equal([("1.0", "proposed")], await f.VersionsAsync(name)), ("version", "1.0"));
        });
    }

    private static IEnumerable<Route> StoreRoutes()
    {
        yield return new("GET /store/?ID={result}", Readable, f => Get($"/store/?ID={f.ResultSha}"));
        yield return new("GET /store/{result}", Readable, f => Get($"/store/{f.ResultSha}"));
    }

    private static IEnumerable<Route> ScimRoutes()
    {
        foreach (var path in new[] { "ServiceProviderConfig", "ResourceTypes", "ResourceTypes/User", "Schemas", $"Schemas/{AuthSteps.UserSchema}", "Users", "Users?filter=userName%20eq%20%22alice%22&startIndex=1&count=10" })
            yield return new($"GET /scim/v2/{path}", AdminOnly, _ => Get($"/scim/v2/{path}"));
        yield return new("GET /scim/v2/Users/{alice}", AdminOnly, f => Get($"/scim/v2/Users/{f.AliceId}"));

        yield return new("POST /scim/v2/Users", new(403, 403, 201), f =>
        {
            var name = AuthSteps.UniqueName("scratch");
            return Task.FromResult(new Target(HttpMethod.Post, "/scim/v2/Users", AuthSteps.ScimContent(RouteIsolationFixture.ScimUser(name, null, "admin")), async () =>
            {
                var found = await f.AdminClient.GetJsonAsync($"/scim/v2/Users?filter=userName%20eq%20%22{name}%22");
                Assert.Equal(0, found["totalResults"]!.GetValue<int>());
            }));
        });

        // A non-admin trying to make a user an admin.
        Route Change(string name, Expect expect, Func<string, string, Target> request) => new(name, expect, async f =>
        {
            var (id, userName) = await f.FreshUserAsync();
            return request(id, userName) with { Intact = () => f.AssertUserIntactAsync(id) };
        });
        yield return Change("PUT /scim/v2/Users/{fresh}", AdminOnly, (id, userName) =>
            new(HttpMethod.Put, $"/scim/v2/Users/{id}", AuthSteps.ScimContent(RouteIsolationFixture.ScimUser(userName, "Changed by the caller", "admin"))));
        yield return Change("PATCH /scim/v2/Users/{fresh}", AdminOnly, (id, _) =>
            new(HttpMethod.Patch, $"/scim/v2/Users/{id}", AuthSteps.ScimContent(new JsonObject
            {
                ["schemas"] = new JsonArray(AuthSteps.PatchSchema),
                ["Operations"] = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "roles", ["value"] = new JsonArray(new JsonObject { ["value"] = "admin" }) }),
            })));
        yield return Change("DELETE /scim/v2/Users/{fresh}", new(403, 403, 204), (id, _) => new(HttpMethod.Delete, $"/scim/v2/Users/{id}"));
    }

    private static IEnumerable<Route> TokenRoutes()
    {
        yield return new("GET /users/alice/tokens", OwnOnly, f => Get($"/users/{f.AliceName}/tokens"));
        yield return new("GET /users/alice/tokens/{main}", OwnOnly, f => Get($"/users/{f.AliceName}/tokens/{f.Alice.Id}"));
        yield return new("POST /users/alice/tokens", new(201, 403, 201), f =>
        {
            var name = AuthSteps.UniqueName("issued");
            return Task.FromResult(Form(HttpMethod.Post, $"/users/{f.AliceName}/tokens", async () =>
            {
                var tokens = await f.AdminClient.GetJsonAsync($"/users/{f.AliceName}/tokens");
                Assert.DoesNotContain(tokens["tokens"]!.AsArray(), t => t!["name"]!.GetValue<string>() == name);
            }, ("name", name)));
        });
        yield return new("DELETE /users/alice/tokens/{fresh}", new(204, 403, 204), async f =>
        {
            var token = await f.FreshTokenAsync();
            return new Target(HttpMethod.Delete, $"/users/{f.AliceName}/tokens/{token.Id}", null, () => f.AssertTokenIntactAsync(token));
        });
    }

    /// <summary>
    /// PROVENANCE ROUTES: the provenance of alice's job and of her result, by every route that gives
    /// it. A new provenance route gets its row here, <see cref="Readable"/> like the job and store routes.
    /// </summary>
    private static IEnumerable<Route> ProvenanceRoutes()
    {
        yield return new("GET /rest/copy/{done}/prov", Readable, f => Get($"{f.DoneJob}/prov"));
        yield return new("GET /rest/copy/{done}/prov?DEPTH=ALL", Readable, f => Get($"{f.DoneJob}/prov?DEPTH=ALL"));
        foreach (var format in new[] { "provjson", "provxml", "provn", "provsvg" })
        {
            yield return new($"GET /rest/copy/{{done}}/{format}", Readable, f => Get($"{f.DoneJob}/{format}"));
            yield return new($"GET /rest/copy/{{done}}/results/{format}", Readable, f => Get($"{f.DoneJob}/results/{format}"));
        }

        yield return new("GET /provsap?ID={done}", Readable, f => Get($"/provsap?ID={UwsTestHelpers.JobIdOf(f.DoneJob)}"));
        yield return new("GET /provsap?ID={done url}", Readable, f => Get($"/provsap?ID={Uri.EscapeDataString(f.Server.BaseUri + f.DoneJob.TrimStart('/'))}"));
        yield return new("GET /provsap?ID={result}", Readable, f => Get($"/provsap?ID={f.ResultSha}"));
        yield return new("GET /provsap?ID=opus_store:{result}&DEPTH=ALL", Readable, f => Get($"/provsap?ID=opus_store:{f.ResultSha}&DEPTH=ALL"));
    }

    /// <summary>The web client's API: the same visibility as UWS.</summary>
    private static IEnumerable<Route> ClientApiRoutes()
    {
        yield return new("GET /me", Listed, _ => Get("/me"), f => $"\"{f.AliceName}\"");
        yield return new("GET /jobs", Listed, _ => Get("/jobs"), f => UwsTestHelpers.JobIdOf(f.DoneJob));
        yield return new("GET /jobs?definition=copy&phase=COMPLETED", Listed, _ => Get("/jobs?definition=copy&phase=COMPLETED"), f => UwsTestHelpers.JobIdOf(f.DoneJob));
        yield return new("GET /events", Listed, _ => Get("/events"), Streams: true);
        yield return new("GET /status", AdminOnly, _ => Get("/status"));
        yield return new("POST /jdl/check", Listed, _ => Task.FromResult(new Target(HttpMethod.Post, "/jdl/check",
            new StringContent(RouteIsolationFixture.ScratchYaml("checked", "1.0"), Encoding.UTF8, "application/yaml"))));
    }

    private static Task<Target> Get(string path) => Task.FromResult(new Target(HttpMethod.Get, path));

    private static Target Form(HttpMethod method, string path, Func<Task>? intact, params (string Name, string Value)[] form) =>
        new(method, path, form.Length == 0 ? null : new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))), intact);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
