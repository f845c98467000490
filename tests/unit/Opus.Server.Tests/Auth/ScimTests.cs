using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>A server without anonymous access for the SCIM tests.</summary>
public sealed class AuthServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Auth:MaxFailures", "1000000")));
        Admin = Server.AdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>SCIM 2.0 at /scim/v2 against the shapes of RFC 7643 and RFC 7644.</summary>
public sealed class ScimTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private HttpClient Admin => fixture.Admin;

    [Fact]
    public async Task Service_provider_config_resource_types_and_schemas_have_the_rfc_shapes()
    {
        var config = await ScimAsync(HttpMethod.Get, "/scim/v2/ServiceProviderConfig");
        Assert.Contains("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig", Schemas(config));
        Assert.True(config["patch"]!["supported"]!.GetValue<bool>());
        Assert.True(config["filter"]!["supported"]!.GetValue<bool>());
        Assert.False(config["bulk"]!["supported"]!.GetValue<bool>());
        Assert.False(config["changePassword"]!["supported"]!.GetValue<bool>());
        Assert.NotEmpty(config["authenticationSchemes"]!.AsArray());

        var types = await ScimAsync(HttpMethod.Get, "/scim/v2/ResourceTypes");
        AssertListResponse(types, 1, 1);
        var user = types["Resources"]![0]!;
        Assert.Equal("User", user["id"]!.GetValue<string>());
        Assert.Equal("/Users", user["endpoint"]!.GetValue<string>());
        Assert.Equal(AuthSteps.UserSchema, user["schema"]!.GetValue<string>());
        Assert.Equal("User", (await ScimAsync(HttpMethod.Get, "/scim/v2/ResourceTypes/User"))["name"]!.GetValue<string>());

        var schemas = await ScimAsync(HttpMethod.Get, "/scim/v2/Schemas");
        AssertListResponse(schemas, 2, 1);
        var schema = await ScimAsync(HttpMethod.Get, $"/scim/v2/Schemas/{AuthSteps.UserSchema}");
        Assert.Equal(AuthSteps.UserSchema, schema["id"]!.GetValue<string>());
        var attributes = schema["attributes"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("userName", attributes);
        Assert.Contains("roles", attributes);
        Assert.Contains("emails", attributes);
        Assert.Contains("active", attributes);
        // externalId is a common attribute (RFC 7643 3.1) listed with the characteristics 3.1 gives it; Opus keeps it unique.
        var externalId = schema["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "externalId")!;
        Assert.Equal(("string", false, false, true, "readWrite", "default", "server"), (
            externalId["type"]!.GetValue<string>(), externalId["multiValued"]!.GetValue<bool>(), externalId["required"]!.GetValue<bool>(),
            externalId["caseExact"]!.GetValue<bool>(), externalId["mutability"]!.GetValue<string>(), externalId["returned"]!.GetValue<string>(),
            externalId["uniqueness"]!.GetValue<string>()));
        Assert.Contains("sub", externalId["description"]!.GetValue<string>());
        Assert.Equal(schema.ToJsonString(), schemas["Resources"]![0]!.ToJsonString());
        Assert.DoesNotContain(attributes, a => a.Contains("token", StringComparison.OrdinalIgnoreCase) || a.Contains("password", StringComparison.OrdinalIgnoreCase));

        AssertError(await ScimAsync(HttpMethod.Get, "/scim/v2/Schemas/urn:no:such:schema", expected: HttpStatusCode.NotFound), 404, null);

        // Opus's extension (RFC 7643 3.3): listed by the resource type, described like the core schema.
        const string extension = "urn:opus:scim:schemas:extension:2.0:User";
        var declared = user["schemaExtensions"]!.AsArray().Single()!;
        Assert.Equal((extension, false), (declared["schema"]!.GetValue<string>(), declared["required"]!.GetValue<bool>()));
        var opus = await ScimAsync(HttpMethod.Get, $"/scim/v2/Schemas/{extension}");
        Assert.Equal(opus.ToJsonString(), schemas["Resources"]![1]!.ToJsonString());
        var mutability = opus["attributes"]!.AsArray().ToDictionary(a => a!["name"]!.GetValue<string>(), a => a!["mutability"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string>
        {
            ["lastSeen"] = "readOnly", ["slurmAccount"] = "readWrite", ["notifyOnJobEnd"] = "readWrite", ["createdByPortal"] = "readOnly",
        }, mutability);
    }

    [Fact]
    public async Task Post_creates_a_user_with_roles_emails_and_meta()
    {
        var name = AuthSteps.UniqueName("created");
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(AuthSteps.UserSchema),
            ["userName"] = name,
            ["displayName"] = "Created User",
            ["emails"] = new JsonArray(new JsonObject { ["value"] = "other@example.org" }, new JsonObject { ["value"] = "created@example.org", ["primary"] = true }),
            ["roles"] = new JsonArray(new JsonObject { ["value"] = "copy" }, new JsonObject { ["value"] = "sleep" }),
        };
        using var response = await Admin.PostAsync("/scim/v2/Users", AuthSteps.ScimContent(body));
        var user = await ReadScimAsync(response, HttpStatusCode.Created);
        Assert.Equal([AuthSteps.UserSchema], Schemas(user));
        var id = user["id"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(name, user["userName"]!.GetValue<string>());
        Assert.Equal("Created User", user["displayName"]!.GetValue<string>());
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal(["copy", "sleep"], Roles(user));
        Assert.Equal("created@example.org", user["emails"]![0]!["value"]!.GetValue<string>());
        var meta = user["meta"]!;
        Assert.Equal("User", meta["resourceType"]!.GetValue<string>());
        Assert.NotNull(meta["created"]);
        Assert.NotNull(meta["lastModified"]);
        Assert.Equal(response.Headers.Location!.ToString(), meta["location"]!.GetValue<string>());
        Assert.EndsWith($"/scim/v2/Users/{id}", meta["location"]!.GetValue<string>());

        Assert.Equal(name, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}"))["userName"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_duplicate_user_name_is_409_uniqueness()
    {
        var name = AuthSteps.UniqueName("dup");
        await fixture.Server.CreateUserAsync(name, "copy");
        var error = await ScimAsync(HttpMethod.Post, "/scim/v2/Users", RouteIsolationFixture.ScimUser(name), HttpStatusCode.Conflict);
        AssertError(error, 409, "uniqueness");

        // Renaming another user to the taken name is the same conflict.
        var other = AuthSteps.UniqueName("dup");
        var otherId = await fixture.Server.CreateUserAsync(other);
        AssertError(await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{otherId}", RouteIsolationFixture.ScimUser(name), HttpStatusCode.Conflict), 409, "uniqueness");
    }

    [Fact]
    public async Task Malformed_requests_get_scim_errors()
    {
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", new JsonObject { ["schemas"] = new JsonArray(AuthSteps.UserSchema) }, HttpStatusCode.BadRequest), 400, "invalidValue");
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", RouteIsolationFixture.ScimUser("has space"), HttpStatusCode.BadRequest), 400, "invalidValue");
        // A name of the form of a user id would make lookups by id or name ambiguous.
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", RouteIsolationFixture.ScimUser(Guid.NewGuid().ToString("N")), HttpStatusCode.BadRequest), 400, "invalidValue");
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("role"), null, "bad role!"), HttpStatusCode.BadRequest), 400, "invalidValue");

        using (var broken = await Admin.PostAsync("/scim/v2/Users", new StringContent("{\"userName\":", Encoding.UTF8, AuthSteps.ScimMediaType)))
            AssertError(await ReadScimAsync(broken, HttpStatusCode.BadRequest), 400, "invalidSyntax");

        AssertError(await ScimAsync(HttpMethod.Get, "/scim/v2/Users?filter=displayName%20co%20%22x%22", expected: HttpStatusCode.BadRequest), 400, "invalidFilter");
        AssertError(await ScimAsync(HttpMethod.Get, "/scim/v2/Users/no-such-user-id", expected: HttpStatusCode.NotFound), 404, null);
    }

    [Fact]
    public async Task Filter_and_paging_follow_startIndex_and_count()
    {
        var prefix = AuthSteps.UniqueName("page");
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            names.Add($"{prefix}-{i}");
            await fixture.Server.CreateUserAsync(names[^1], "copy");
        }

        var one = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{names[2]}\"")}");
        AssertListResponse(one, 1, 1);
        Assert.Equal(names[2], one["Resources"]![0]!["userName"]!.GetValue<string>());

        // Attribute names and operators are case-insensitive (RFC 7644 3.4.2.2).
        var upper = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"USERNAME EQ \"{names[2]}\"")}");
        Assert.Equal(1, upper["totalResults"]!.GetValue<int>());

        var none = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString("userName eq \"nobody-at-all\"")}");
        AssertListResponse(none, 0, 1);

        // Past the only match: the total stays, the page is empty.
        var past = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{names[2]}\"")}&startIndex=2");
        AssertListResponse(past, 1, 2, itemsPerPage: 0);

        // Pages of two over every user give the whole list, in order, once.
        var all = await ScimAsync(HttpMethod.Get, "/scim/v2/Users?count=1000");
        var total = all["totalResults"]!.GetValue<int>();
        var everyone = all["Resources"]!.AsArray().Select(u => u!["userName"]!.GetValue<string>()).ToList();
        Assert.Equal(total, everyone.Count);
        Assert.True(total >= 6, $"{total} users");
        var paged = new List<string>();
        for (var start = 1; start <= total; start += 2)
        {
            var page = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?startIndex={start}&count=2");
            AssertListResponse(page, total, start, itemsPerPage: Math.Min(2, total - start + 1));
            paged.AddRange(page["Resources"]!.AsArray().Select(u => u!["userName"]!.GetValue<string>()));
        }

        Assert.Equal(everyone, paged);
        Assert.Equal(names, everyone.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)));

        // count=0 asks for the total only; a startIndex below 1 is taken as 1 (RFC 7644 3.4.2.4).
        AssertListResponse(await ScimAsync(HttpMethod.Get, "/scim/v2/Users?count=0"), total, 1, itemsPerPage: 0);
        AssertListResponse(await ScimAsync(HttpMethod.Get, "/scim/v2/Users?startIndex=0&count=1"), total, 1, itemsPerPage: 1);
    }

    [Fact]
    public async Task Filter_externalId_eq_finds_the_linked_user_exactly()
    {
        // A subject with a quote and a backslash: the filter's value is a JSON string (RFC 7644 3.4.2.2).
        var subject = $"Sub-{Guid.NewGuid()}-\"q\"\\b";
        var name = AuthSteps.UniqueName("filtered");
        var body = RouteIsolationFixture.ScimUser(name, null, "copy");
        body["externalId"] = subject;
        var id = (await ScimAsync(HttpMethod.Post, "/scim/v2/Users", body, HttpStatusCode.Created))["id"]!.GetValue<string>();
        await fixture.Server.CreateUserAsync(AuthSteps.UniqueName("unfiltered"), "copy");
        var other = RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("filtered-other"), null, "copy");
        other["externalId"] = subject + "-other";
        await ScimAsync(HttpMethod.Post, "/scim/v2/Users", other, HttpStatusCode.Created);

        var quoted = System.Text.Json.Nodes.JsonValue.Create(subject).ToJsonString();
        var one = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"externalId eq {quoted}")}");
        AssertListResponse(one, 1, 1);
        Assert.Equal((id, name, subject), (one["Resources"]![0]!["id"]!.GetValue<string>(), one["Resources"]![0]!["userName"]!.GetValue<string>(), one["Resources"]![0]!["externalId"]!.GetValue<string>()));
        // The whole document, as GET by id shows it.
        Assert.Equal((await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")).ToJsonString(), one["Resources"]![0]!.ToJsonString());

        // The attribute name and the operator are case-insensitive; the value is caseExact (RFC 7643 3.1).
        Assert.Equal(1, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"EXTERNALID Eq {quoted}")}"))["totalResults"]!.GetValue<int>());
        var upper = System.Text.Json.Nodes.JsonValue.Create(subject.ToUpperInvariant()).ToJsonString();
        AssertListResponse(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"externalId eq {upper}")}"), 0, 1);
        // Escapes are read as JSON's: \u0053 is S.
        var escaped = quoted.Replace("Sub-", "\\u0053ub-", StringComparison.Ordinal);
        Assert.Equal(1, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"externalId eq {escaped}")}"))["totalResults"]!.GetValue<int>());
        // No such subject, and an empty one (no user has an empty externalId): none. Paging as for userName.
        AssertListResponse(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString("externalId eq \"nobody-at-all\"")}"), 0, 1);
        AssertListResponse(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString("externalId eq \"\"")}"), 0, 1);
        AssertListResponse(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"externalId eq {quoted}")}&startIndex=2"), 1, 2, itemsPerPage: 0);

        // Cleared, it no longer matches.
        await PatchAsync(id, Op("remove", "externalId"));
        AssertListResponse(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"externalId eq {quoted}")}"), 0, 1);

        // Anything else is the same 400 invalidFilter as for userName.
        foreach (var unsupported in new[]
                 {
                     $"externalId co {quoted}", "externalId pr", "externalId eq null", $"externalId eq {quoted} and userName eq \"{name}\"",
                     "externalId eq \"bad \\q escape\"", "externalId eq unquoted", "meta.externalId eq \"x\"",
                 })
        {
            AssertError(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString(unsupported)}", expected: HttpStatusCode.BadRequest), 400, "invalidFilter");
        }
    }

    [Fact]
    public async Task Patch_adds_replaces_and_removes_roles_active_and_emails()
    {
        var name = AuthSteps.UniqueName("patched");
        var id = await fixture.Server.CreateUserAsync(name, "copy");
        var token = await fixture.Server.IssueTokenAsync(name);
        using var client = fixture.Server.ClientFor(token);

        // add: appended to what is there, no duplicates.
        var user = await PatchAsync(id, Op("add", "roles", Values("sleep", "copy")));
        Assert.Equal(["copy", "sleep"], Roles(user));
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/jdl/sleep"));

        // replace: the new set, exactly.
        user = await PatchAsync(id, Op("replace", "roles", Values("sleep")));
        Assert.Equal(["sleep"], Roles(user));
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/jdl/copy"));

        // remove with a value filter, with a value, and the whole attribute.
        user = await PatchAsync(id, Op("add", "roles", Values("copy", "fail")));
        user = await PatchAsync(id, Op("remove", "roles[value eq \"sleep\"]"));
        Assert.Equal(["copy", "fail"], Roles(user));
        user = await PatchAsync(id, Op("remove", "roles", Values("fail")));
        Assert.Equal(["copy"], Roles(user));
        user = await PatchAsync(id, Op("remove", "roles"));
        Assert.Empty(Roles(user));
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/jdl/copy"));

        // active: an inactive user's token stops working at once, and works again when reactivated.
        user = await PatchAsync(id, Op("replace", "active", false));
        Assert.False(user["active"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.Unauthorized, await client.StatusOfAsync("/rest"));
        user = await PatchAsync(id, Op("replace", "active", true));
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));

        // emails: add, replace, remove.
        user = await PatchAsync(id, Op("add", "emails", new JsonArray(new JsonObject { ["value"] = "first@example.org", ["primary"] = true })));
        Assert.Equal("first@example.org", user["emails"]![0]!["value"]!.GetValue<string>());
        user = await PatchAsync(id, Op("replace", "emails", new JsonArray(new JsonObject { ["value"] = "second@example.org" })));
        Assert.Equal(["second@example.org"], user["emails"]!.AsArray().Select(e => e!["value"]!.GetValue<string>()));
        user = await PatchAsync(id, Op("remove", "emails"));
        Assert.Null(user["emails"]);

        // Without a path the value names the attributes; several operations apply in order.
        user = await PatchAsync(id,
            new JsonObject { ["op"] = "replace", ["value"] = new JsonObject { ["active"] = false, ["displayName"] = "Patched" } },
            Op("add", "roles", Values("copy")));
        Assert.False(user["active"]!.GetValue<bool>());
        Assert.Equal("Patched", user["displayName"]!.GetValue<string>());
        Assert.Equal(["copy"], Roles(user));
        Assert.Equal(name, user["userName"]!.GetValue<string>());

        // What PATCH answered is what GET shows.
        Assert.Equal(user.ToJsonString(), (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")).ToJsonString());
    }

    [Fact]
    public async Task Patch_errors_have_the_rfc_scim_types()
    {
        var id = await fixture.Server.CreateUserAsync(AuthSteps.UniqueName("patcherr"), "copy");
        var noSchema = new JsonObject { ["Operations"] = new JsonArray(Op("replace", "active", false)) };
        AssertError(await ScimAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}", noSchema, HttpStatusCode.BadRequest), 400, "invalidSyntax");
        // An attribute we do not have: invalidPath; remove without a path: noTarget (RFC 7644 3.5.2, 3.12).
        AssertError(await PatchErrorAsync(id, Op("replace", "nickName", "x")), 400, "invalidPath");
        AssertError(await PatchErrorAsync(id, new JsonObject { ["op"] = "remove" }), 400, "noTarget");
        AssertError(await PatchErrorAsync(id, Op("replace", "active", "yes")), 400, null);
        AssertError(await ScimAsync(HttpMethod.Patch, "/scim/v2/Users/no-such-user", Patch(Op("replace", "active", false)), HttpStatusCode.NotFound), 404, null);

        // Nothing of a failed PATCH is applied.
        var user = await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}");
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal(["copy"], Roles(user));
    }

    [Fact]
    public async Task Put_replaces_the_whole_user()
    {
        var name = AuthSteps.UniqueName("put");
        var created = new JsonObject
        {
            ["schemas"] = new JsonArray(AuthSteps.UserSchema),
            ["userName"] = name,
            ["displayName"] = "Before",
            ["emails"] = new JsonArray(new JsonObject { ["value"] = "before@example.org" }),
            ["roles"] = new JsonArray(new JsonObject { ["value"] = "copy" }, new JsonObject { ["value"] = "sleep" }),
        };
        var id = (await ScimAsync(HttpMethod.Post, "/scim/v2/Users", created, HttpStatusCode.Created))["id"]!.GetValue<string>();

        // Attributes left out are cleared; the id stays.
        var renamed = name + "-renamed";
        var user = await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", RouteIsolationFixture.ScimUser(renamed, null, "sleep"));
        Assert.Equal(id, user["id"]!.GetValue<string>());
        Assert.Equal(renamed, user["userName"]!.GetValue<string>());
        Assert.Null(user["displayName"]);
        Assert.Null(user["emails"]);
        Assert.Equal(["sleep"], Roles(user));
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal(user.ToJsonString(), (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")).ToJsonString());

        var noName = new JsonObject { ["schemas"] = new JsonArray(AuthSteps.UserSchema) };
        AssertError(await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", noName, HttpStatusCode.BadRequest), 400, "invalidValue");
        AssertError(await ScimAsync(HttpMethod.Put, "/scim/v2/Users/no-such-user", RouteIsolationFixture.ScimUser("whoever"), HttpStatusCode.NotFound), 404, null);
    }

    [Fact]
    public async Task ExternalId_is_kept_shown_unique_and_changed_by_put_and_patch()
    {
        // The OIDC subject an admin links an account to (RFC 7643 3.1 externalId).
        var name = AuthSteps.UniqueName("linked");
        var subject = $"sub-{Guid.NewGuid()}";
        var body = RouteIsolationFixture.ScimUser(name, null, "copy");
        body["externalId"] = subject;
        var user = await ScimAsync(HttpMethod.Post, "/scim/v2/Users", body, HttpStatusCode.Created);
        var id = user["id"]!.GetValue<string>();
        Assert.Equal(subject, user["externalId"]!.GetValue<string>());
        Assert.Equal(subject, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}"))["externalId"]!.GetValue<string>());
        Assert.Equal(subject, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{name}\"")}"))["Resources"]![0]!["externalId"]!.GetValue<string>());
        // A user without one shows none.
        var plain = await fixture.Server.CreateUserAsync(AuthSteps.UniqueName("unlinked"), "copy");
        Assert.Null((await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{plain}"))["externalId"]);

        // One account per person: the same externalId again is 409 uniqueness, by POST, PATCH or PUT.
        var twinName = AuthSteps.UniqueName("twin");
        var twin = RouteIsolationFixture.ScimUser(twinName, null, "copy");
        twin["externalId"] = subject;
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", twin, HttpStatusCode.Conflict), 409, "uniqueness");
        Assert.Equal(0, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{twinName}\"")}"))["totalResults"]!.GetValue<int>());
        AssertError(await ScimAsync(HttpMethod.Patch, $"/scim/v2/Users/{plain}", Patch(Op("replace", "externalId", subject)), HttpStatusCode.Conflict), 409, "uniqueness");
        var plainPut = RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("unlinked"), null, "copy");
        plainPut["externalId"] = subject;
        AssertError(await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{plain}", plainPut, HttpStatusCode.Conflict), 409, "uniqueness");
        Assert.Null((await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{plain}"))["externalId"]);

        // Too long, or not a string: 400 invalidValue.
        var tooLong = RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("long"), null, "copy");
        tooLong["externalId"] = new string('x', 256);
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", tooLong, HttpStatusCode.BadRequest), 400, "invalidValue");
        AssertError(await PatchErrorAsync(id, Op("replace", "externalId", "line\nbreak")), 400, "invalidValue");
        var maximal = new string('y', 255);
        Assert.Equal(maximal, (await PatchAsync(plain, Op("replace", "externalId", maximal)))["externalId"]!.GetValue<string>());

        // PUT without externalId keeps it (it links the account to a person); PATCH replaces and removes it.
        var put = await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", RouteIsolationFixture.ScimUser(name, null, "sleep"));
        Assert.Equal(subject, put["externalId"]!.GetValue<string>());
        Assert.Equal(["sleep"], Roles(put));
        var other = $"sub-{Guid.NewGuid()}";
        Assert.Equal(other, (await PatchAsync(id, Op("replace", "externalId", other)))["externalId"]!.GetValue<string>());
        Assert.Null((await PatchAsync(id, Op("remove", "externalId")))["externalId"]);
        // Freed: another user may have it now.
        Assert.Equal(other, (await PatchAsync(plain, Op("replace", "externalId", other)))["externalId"]!.GetValue<string>());
        var explicitNull = RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("unlinked"), null, "copy");
        explicitNull["externalId"] = null;
        Assert.Null((await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{plain}", explicitNull))["externalId"]);
    }

    [Fact]
    public async Task SlurmAccount_is_set_shown_and_cleared_in_opus_extension_and_refused_when_malformed()
    {
        const string extension = "urn:opus:scim:schemas:extension:2.0:User";
        static string? Account(JsonNode user) => user[extension]?["slurmAccount"]?.GetValue<string>();
        var name = AuthSteps.UniqueName("charged");
        var body = RouteIsolationFixture.ScimUser(name, null, "copy");
        body[extension] = new JsonObject { ["slurmAccount"] = "astro-lab" };
        var user = await ScimAsync(HttpMethod.Post, "/scim/v2/Users", body, HttpStatusCode.Created);
        var id = user["id"]!.GetValue<string>();
        Assert.Equal("astro-lab", Account(user));
        Assert.Contains(extension, Schemas(user));
        Assert.Equal("astro-lab", Account(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")));

        // PATCH by the attribute's full name (RFC 7644 3.10), and without a path as an object under the schema's URN.
        Assert.Equal("astro_2.b", Account(await PatchAsync(id, Op("replace", $"{extension}:slurmAccount", "astro_2.b"))));
        Assert.Equal("lab3", Account(await PatchAsync(id, new JsonObject
        {
            ["op"] = "replace", ["value"] = new JsonObject { [extension] = new JsonObject { ["slurmAccount"] = "lab3" } },
        })));
        Assert.Equal("lab3", Account(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")));
        var removed = await PatchAsync(id, Op("remove", $"{extension}:slurmAccount"));
        Assert.Null(Account(removed));
        Assert.DoesNotContain(extension, Schemas(removed));

        // PUT replaces: given, it is set; left out, it is cleared.
        var put = RouteIsolationFixture.ScimUser(name, null, "copy");
        put[extension] = new JsonObject { ["slurmAccount"] = "put-acct" };
        Assert.Equal("put-acct", Account(await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", put)));
        Assert.Null(Account(await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", RouteIsolationFixture.ScimUser(name, null, "copy"))));

        // Anything but letters, digits, _ - . (it reaches sbatch and slurmrestd), or too long: a one-line 400, nothing changed.
        await PatchAsync(id, Op("replace", $"{extension}:slurmAccount", "kept"));
        foreach (var bad in new[] { "$(touch /tmp/pwned)", "a b", "a;b", "acct\nx", "acct\n", "é", new string('a', 65) })
        {
            var error = await PatchErrorAsync(id, Op("replace", $"{extension}:slurmAccount", bad));
            AssertError(error, 400, "invalidValue");
            Assert.DoesNotContain('\n', error["detail"]!.GetValue<string>());
        }

        var malformed = RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("charged"), null, "copy");
        malformed[extension] = new JsonObject { ["slurmAccount"] = "x y" };
        AssertError(await ScimAsync(HttpMethod.Post, "/scim/v2/Users", malformed, HttpStatusCode.BadRequest), 400, "invalidValue");
        Assert.Equal("kept", Account(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}")));
        Assert.Equal(new string('a', 64), Account(await PatchAsync(id, Op("replace", $"{extension}:slurmAccount", new string('a', 64)))));
    }

    [Fact]
    public async Task Last_modified_is_the_last_change()
    {
        var name = AuthSteps.UniqueName("changed");
        var created = await ScimAsync(HttpMethod.Post, "/scim/v2/Users", RouteIsolationFixture.ScimUser(name, null, "copy"), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var createdAt = created["meta"]!["created"]!.GetValue<string>();
        Assert.Equal(createdAt, created["meta"]!["lastModified"]!.GetValue<string>());

        // Using the account is no change.
        await Task.Delay(20);
        using (var client = fixture.Server.ClientFor(await fixture.Server.IssueTokenAsync(name)))
            Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));
        Assert.Equal(createdAt, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}"))["meta"]!["lastModified"]!.GetValue<string>());
        // A PATCH that changes nothing changes nothing.
        Assert.Equal(createdAt, (await PatchAsync(id, Op("add", "roles", Values("copy"))))["meta"]!["lastModified"]!.GetValue<string>());

        var patched = (await PatchAsync(id, Op("add", "roles", Values("sleep"))))["meta"]!;
        Assert.True(string.CompareOrdinal(patched["lastModified"]!.GetValue<string>(), createdAt) > 0, $"{patched} after {createdAt}");
        Assert.Equal(createdAt, patched["created"]!.GetValue<string>());
        await Task.Delay(20);
        var put = (await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", RouteIsolationFixture.ScimUser(name, null, "copy")))["meta"]!;
        Assert.True(string.CompareOrdinal(put["lastModified"]!.GetValue<string>(), patched["lastModified"]!.GetValue<string>()) > 0, $"{put} after {patched}");
    }

    [Fact]
    public async Task Delete_removes_the_user_and_its_tokens()
    {
        var name = AuthSteps.UniqueName("deleted");
        var id = await fixture.Server.CreateUserAsync(name, "copy");
        var token = await fixture.Server.IssueTokenAsync(name);
        using var client = fixture.Server.ClientFor(token);
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));

        using (var deleted = await Admin.DeleteAsync($"/scim/v2/Users/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        AssertError(await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}", expected: HttpStatusCode.NotFound), 404, null);
        AssertError(await ScimAsync(HttpMethod.Delete, $"/scim/v2/Users/{id}", expected: HttpStatusCode.NotFound), 404, null);
        Assert.Equal(HttpStatusCode.Unauthorized, await client.StatusOfAsync("/rest"));
        Assert.Equal(0, (await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{name}\"")}"))["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task Non_admins_get_a_scim_403_and_become_admins_only_by_role()
    {
        var name = AuthSteps.UniqueName("plain");
        var id = await fixture.Server.CreateUserAsync(name, "copy");
        using var client = fixture.Server.ClientFor(await fixture.Server.IssueTokenAsync(name));
        foreach (var path in new[] { "/scim/v2/Users", $"/scim/v2/Users/{id}", "/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas" })
        {
            using var response = await client.GetAsync(path);
            AssertError(await ReadScimAsync(response, HttpStatusCode.Forbidden), 403, null);
        }

        using (var create = await client.PostAsync("/scim/v2/Users", AuthSteps.ScimContent(RouteIsolationFixture.ScimUser(AuthSteps.UniqueName("sneaky"), null, "admin"))))
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);

        // The admin role, once given, counts on the next request.
        await PatchAsync(id, Op("add", "roles", Values("admin")));
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/scim/v2/Users"));
        await PatchAsync(id, Op("remove", "roles[value eq \"admin\"]"));
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/scim/v2/Users"));
    }

    [Fact]
    public async Task Scim_output_never_shows_a_token_a_password_or_a_hash()
    {
        var name = AuthSteps.UniqueName("secretive");
        var id = await fixture.Server.CreateUserAsync(name, "copy");
        var tokens = new[] { await fixture.Server.IssueTokenAsync(name), await fixture.Server.IssueTokenAsync(name) };
        using (var client = fixture.Server.ClientFor(tokens[0]))
            Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));
        var forbidden = tokens.SelectMany(t => new[] { t.Secret, AuthSteps.Sha256Hex(t.Secret), t.Id })
            .Concat([OpusServer.AdminToken, AuthSteps.Sha256Hex(OpusServer.AdminToken)]).ToList();

        var users = new List<JsonNode>
        {
            await ScimAsync(HttpMethod.Get, $"/scim/v2/Users/{id}"),
            await ScimAsync(HttpMethod.Get, $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{name}\"")}"),
            await ScimAsync(HttpMethod.Get, "/scim/v2/Users?count=1000"),
            await PatchAsync(id, Op("replace", "displayName", "Secretive")),
            await ScimAsync(HttpMethod.Put, $"/scim/v2/Users/{id}", RouteIsolationFixture.ScimUser(name, null, "copy")),
        };
        foreach (var document in users)
        {
            foreach (var key in Keys(document))
                Assert.False(key.Contains("token", StringComparison.OrdinalIgnoreCase) || key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("hash", StringComparison.OrdinalIgnoreCase), $"SCIM shows '{key}'");
        }

        foreach (var path in new[] { "/scim/v2/ServiceProviderConfig", "/scim/v2/ResourceTypes", "/scim/v2/Schemas" })
            users.Add(await ScimAsync(HttpMethod.Get, path));
        foreach (var text in users.Select(d => d.ToJsonString()))
        {
            foreach (var secret in forbidden)
                Assert.DoesNotContain(secret, text);
        }
    }

    private static IEnumerable<string> Keys(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => Keys(kv.Value).Prepend(kv.Key)),
        JsonArray a => a.SelectMany(Keys),
        _ => [],
    };

    private static JsonObject Op(string op, string path, JsonNode? value = null)
    {
        var operation = new JsonObject { ["op"] = op, ["path"] = path };
        if (value is not null)
            operation["value"] = value;
        return operation;
    }

    private static JsonArray Values(params string[] values) => new(values.Select(v => (JsonNode)new JsonObject { ["value"] = v }).ToArray());

    private static JsonObject Patch(params JsonObject[] operations) => new()
    {
        ["schemas"] = new JsonArray(AuthSteps.PatchSchema),
        ["Operations"] = new JsonArray(operations.Select(o => (JsonNode)o).ToArray()),
    };

    private Task<JsonNode> PatchAsync(string id, params JsonObject[] operations) => ScimAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}", Patch(operations));

    private Task<JsonNode> PatchErrorAsync(string id, JsonObject operation) =>
        ScimAsync(HttpMethod.Patch, $"/scim/v2/Users/{id}", Patch(operation), HttpStatusCode.BadRequest);

    private async Task<JsonNode> ScimAsync(HttpMethod method, string path, JsonNode? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : AuthSteps.ScimContent(body) };
        using var response = await Admin.SendAsync(request);
        return await ReadScimAsync(response, expected);
    }

    /// <summary>Asserts the status and the SCIM media type; returns the parsed body.</summary>
    private static async Task<JsonNode> ReadScimAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(AuthSteps.ScimMediaType, response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    private static List<string> Schemas(JsonNode document) => document["schemas"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();

    private static List<string> Roles(JsonNode user) => user["roles"]?.AsArray().Select(r => r!["value"]!.GetValue<string>()).ToList() ?? [];

    /// <summary>RFC 7644 3.4.2: schemas, totalResults, startIndex, itemsPerPage, Resources.</summary>
    private static void AssertListResponse(JsonNode list, int total, int startIndex, int? itemsPerPage = null)
    {
        Assert.Equal([AuthSteps.ListSchema], Schemas(list));
        Assert.Equal(total, list["totalResults"]!.GetValue<int>());
        Assert.Equal(startIndex, list["startIndex"]!.GetValue<int>());
        var resources = list["Resources"]?.AsArray() ?? [];
        Assert.Equal(resources.Count, list["itemsPerPage"]!.GetValue<int>());
        Assert.Equal(itemsPerPage ?? Math.Clamp(total - startIndex + 1, 0, 100), resources.Count);
    }

    /// <summary>RFC 7644 3.12: the Error schema, status as a string, scimType where one applies, a detail.</summary>
    private static void AssertError(JsonNode error, int status, string? scimType)
    {
        Assert.Equal([AuthSteps.ErrorSchema], Schemas(error));
        var statusNode = error["status"]!;
        Assert.Equal(System.Text.Json.JsonValueKind.String, statusNode.GetValueKind());
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), statusNode.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["detail"]?.GetValue<string>()));
        if (scimType is not null)
            Assert.Equal(scimType, error["scimType"]?.GetValue<string>());
        else if (status != 400)
            Assert.Null(error["scimType"]);
    }
}
