using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>
/// API tokens over /users/{name}/tokens: several per user, named, optional expiry, the secret shown
/// once, revocable; accepted as HTTP Basic and Bearer; never stored or logged in clear.
/// </summary>
public sealed class TokenTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private static readonly string[] DescribedFields = ["id", "name", "createdAt", "expiresAt", "revokedAt", "lastUsedAt"];

    private OpusServer Server => fixture.Server;

    [Fact]
    public async Task An_admin_issues_a_token_shown_once_that_works_as_basic_and_bearer()
    {
        var user = AuthSteps.UniqueName("issued");
        await Server.CreateUserAsync(user, "copy");
        using var response = await fixture.Admin.PostAsync($"/users/{user}/tokens", new FormUrlEncodedContent([new("name", "laptop")]));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "the one answer with the secret must not be cached");
        var issued = JsonNode.Parse(text)!.AsObject();
        Assert.Equal([.. DescribedFields.Append("token").Order()], issued.Select(kv => kv.Key).Order());
        var secret = issued["token"]!.GetValue<string>();
        Assert.Matches("^opus_[a-z2-7]{32}$", secret);
        Assert.Equal("laptop", issued["name"]!.GetValue<string>());
        Assert.Null(issued["expiresAt"]);
        Assert.Null(issued["revokedAt"]);
        var id = issued["id"]!.GetValue<string>();
        Assert.EndsWith($"/users/{user}/tokens/{id}", response.Headers.Location!.OriginalString);

        using (var basic = Server.ClientFor(user, secret))
            Assert.Equal(HttpStatusCode.OK, await basic.StatusOfAsync("/rest/copy"));
        using (var bearer = Server.BearerClient(secret))
            Assert.Equal(HttpStatusCode.OK, await bearer.StatusOfAsync("/rest/copy"));

        // Never again: not in the list, not in the token's own document.
        var listed = await fixture.Admin.GetJsonAsync($"/users/{user}/tokens");
        var single = await fixture.Admin.GetJsonAsync($"/users/{user}/tokens/{id}");
        foreach (var document in new[] { listed["tokens"]![0]!, single })
        {
            Assert.Equal(DescribedFields.Order(), document.AsObject().Select(kv => kv.Key).Order());
            Assert.DoesNotContain(secret, document.ToJsonString());
            Assert.DoesNotContain(AuthSteps.Sha256Hex(secret), document.ToJsonString());
        }
    }

    [Fact]
    public async Task A_user_issues_lists_and_revokes_their_own_tokens_by_name_or_id()
    {
        var user = AuthSteps.UniqueName("self");
        await Server.CreateUserAsync(user, "copy");
        var first = await Server.IssueTokenAsync(user, "first");
        using var client = Server.ClientFor(first);

        // JSON works as well as a form; with an expiry.
        var expires = DateTime.UtcNow.AddDays(3);
        var json = new JsonObject { ["name"] = "ci", ["expires"] = expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) };
        using var created = await client.PostAsync($"/users/{user}/tokens", new StringContent(json.ToJsonString(), Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var second = new IssuedToken(user, body["id"]!.GetValue<string>(), "ci", body["token"]!.GetValue<string>());
        var expiresAt = DateTime.Parse(body["expiresAt"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        Assert.True(Math.Abs((expiresAt - expires).TotalSeconds) < 1, $"expiresAt {expiresAt:o}, asked {expires:o}");
        var third = await Server.IssueTokenAsync(user, "spare", client: client);
        Assert.Equal(3, new[] { first.Secret, second.Secret, third.Secret }.Distinct().Count());

        var tokens = (await client.GetJsonAsync($"/users/{user}/tokens"))["tokens"]!.AsArray();
        Assert.Equal(["first", "ci", "spare"], tokens.Select(t => t!["name"]!.GetValue<string>()));

        // Revoked by name, then by id: each stops at once, the others keep working.
        using (var byName = await client.DeleteAsync($"/users/{user}/tokens/ci"))
            Assert.Equal(HttpStatusCode.NoContent, byName.StatusCode);
        using (var revokedClient = Server.BearerClient(second.Secret))
            Assert.Equal(HttpStatusCode.Unauthorized, await revokedClient.StatusOfAsync("/rest"));
        using (var byId = await client.DeleteAsync($"/users/{user}/tokens/{third.Id}"))
            Assert.Equal(HttpStatusCode.NoContent, byId.StatusCode);
        using (var revokedClient = Server.ClientFor(third))
            Assert.Equal(HttpStatusCode.Unauthorized, await revokedClient.StatusOfAsync("/rest"));
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));

        var after = (await client.GetJsonAsync($"/users/{user}/tokens"))["tokens"]!.AsArray();
        Assert.Null(after.Single(t => t!["name"]!.GetValue<string>() == "first")!["revokedAt"]);
        Assert.NotNull(after.Single(t => t!["name"]!.GetValue<string>() == "ci")!["revokedAt"]);
        Assert.NotNull(after.Single(t => t!["name"]!.GetValue<string>() == "spare")!["revokedAt"]);

        // A token revoked already, or unknown, is not found.
        using (var again = await client.DeleteAsync($"/users/{user}/tokens/ci"))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using (var unknown = await client.DeleteAsync($"/users/{user}/tokens/no-such-token"))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // A user may revoke their own last token too, and then is locked out.
        using (var last = await client.DeleteAsync($"/users/{user}/tokens/first"))
            Assert.Equal(HttpStatusCode.NoContent, last.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await client.StatusOfAsync("/rest"));
    }

    [Fact]
    public async Task Last_use_is_recorded()
    {
        var user = AuthSteps.UniqueName("used");
        await Server.CreateUserAsync(user, "copy");
        var used = await Server.IssueTokenAsync(user, "used");
        var idle = await Server.IssueTokenAsync(user, "idle");
        var before = DateTime.UtcNow.AddSeconds(-1);
        using (var client = Server.ClientFor(used))
            Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));

        var tokens = (await fixture.Admin.GetJsonAsync($"/users/{user}/tokens"))["tokens"]!.AsArray();
        var lastUsed = tokens.Single(t => t!["id"]!.GetValue<string>() == used.Id)!["lastUsedAt"];
        Assert.NotNull(lastUsed);
        Assert.True(DateTime.Parse(lastUsed.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal) >= before);
        Assert.Null(tokens.Single(t => t!["id"]!.GetValue<string>() == idle.Id)!["lastUsedAt"]);
    }

    [Fact]
    public async Task An_expiring_token_works_until_its_expiry_only()
    {
        var user = AuthSteps.UniqueName("expiring");
        await Server.CreateUserAsync(user, "copy");
        // Two requests before the expiry: time enough on a machine whose load average is 10.
        var expiry = DateTime.UtcNow.AddSeconds(5);
        var token = await Server.IssueTokenAsync(user, "short", expiry);
        using var client = Server.ClientFor(token);
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));
        await Task.Delay(expiry.AddMilliseconds(300) - DateTime.UtcNow);
        using var response = await client.GetAsync("/rest");
        AuthSteps.AssertChallenge(response, "an expired token");
    }

    [Fact]
    public async Task Bad_token_requests_are_refused_with_a_reason()
    {
        var user = AuthSteps.UniqueName("badreq");
        await Server.CreateUserAsync(user, "copy");
        var admin = fixture.Admin;

        async Task AssertRefusedAsync(HttpContent content, HttpStatusCode expected, string mention, string path = "")
        {
            using var response = await admin.PostAsync(path.Length > 0 ? path : $"/users/{user}/tokens", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
            // A one-line problem details' detail: the tokens API is JSON.
            Assert.Contains(mention, Uws.UwsTestHelpers.MessageOf(response, text), StringComparison.OrdinalIgnoreCase);
        }

        var past = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await AssertRefusedAsync(new FormUrlEncodedContent([new("name", "old"), new("expires", past)]), HttpStatusCode.BadRequest, "past");
        await AssertRefusedAsync(new FormUrlEncodedContent([new("name", "bad"), new("expires", "next tuesday")]), HttpStatusCode.BadRequest, "expires");
        await AssertRefusedAsync(new FormUrlEncodedContent([new("expires", "2099-01-01T00:00:00Z")]), HttpStatusCode.BadRequest, "name");
        await AssertRefusedAsync(new FormUrlEncodedContent([new("name", new string('x', 65))]), HttpStatusCode.BadRequest, "name");
        await AssertRefusedAsync(new StringContent("{\"name\":", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "JSON");
        await AssertRefusedAsync(new StringContent("{\"name\":42}", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "name");
        await AssertRefusedAsync(new FormUrlEncodedContent([new("name", "ghost")]), HttpStatusCode.NotFound, "no-such-user", "/users/no-such-user/tokens");
        Assert.Empty((await admin.GetJsonAsync($"/users/{user}/tokens"))["tokens"]!.AsArray());
    }

    [Fact]
    public async Task A_user_cannot_see_issue_or_revoke_another_users_tokens()
    {
        var alice = AuthSteps.UniqueName("alice");
        var bob = AuthSteps.UniqueName("bob");
        await Server.CreateUserAsync(alice, "copy");
        await Server.CreateUserAsync(bob, "copy");
        var aliceToken = await Server.IssueTokenAsync(alice, "main");
        var bobToken = await Server.IssueTokenAsync(bob, "main");
        using var bobClient = Server.ClientFor(bobToken);

        Assert.Equal(HttpStatusCode.Forbidden, await bobClient.StatusOfAsync($"/users/{alice}/tokens"));
        Assert.Equal(HttpStatusCode.Forbidden, await bobClient.StatusOfAsync($"/users/{alice}/tokens/{aliceToken.Id}"));
        using (var issue = await bobClient.PostAsync($"/users/{alice}/tokens", new FormUrlEncodedContent([new("name", "stolen")])))
            Assert.Equal(HttpStatusCode.Forbidden, issue.StatusCode);
        using (var revoke = await bobClient.DeleteAsync($"/users/{alice}/tokens/{aliceToken.Id}"))
            Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
        // Through his own path, alice's token id is simply not one of his.
        using (var revoke = await bobClient.DeleteAsync($"/users/{bob}/tokens/{aliceToken.Id}"))
            Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await bobClient.StatusOfAsync($"/users/{bob}/tokens/{aliceToken.Id}"));

        using var aliceClient = Server.ClientFor(aliceToken);
        Assert.Equal(HttpStatusCode.OK, await aliceClient.StatusOfAsync("/rest"));
        Assert.Single((await aliceClient.GetJsonAsync($"/users/{alice}/tokens"))["tokens"]!.AsArray());

        // HTTP Basic needs the token's own user name.
        using var crossed = Server.ClientFor(bob, aliceToken.Secret);
        Assert.Equal(HttpStatusCode.Unauthorized, await crossed.StatusOfAsync("/rest"));
    }

    [Fact]
    public async Task Malformed_credentials_are_401()
    {
        foreach (var header in new[] { "Basic !!!notbase64", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")), "Bearer", "Bearer ", "Digest abc", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:")), "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9." })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/rest");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await Server.Client.SendAsync(request);
            AuthSteps.AssertChallenge(response, header);
        }

        // (The last one: a JWT where no OIDC issuer is configured.) Schemes are case-insensitive.
        using var lower = new HttpRequestMessage(HttpMethod.Get, "/rest");
        lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + OpusServer.AdminToken);
        using var ok = await Server.Client.SendAsync(lower);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Tokens_are_stored_only_as_hashes_and_never_logged()
    {
        var user = AuthSteps.UniqueName("atrest");
        await Server.CreateUserAsync(user, "copy");
        var tokens = new List<IssuedToken>();
        for (var i = 0; i < 3; i++)
            tokens.Add(await Server.IssueTokenAsync(user, $"t{i}", i == 2 ? DateTime.UtcNow.AddDays(1) : null));
        using (var selfClient = Server.ClientFor(tokens[0]))
            tokens.Add(await Server.IssueTokenAsync(user, "self-issued", client: selfClient));
        foreach (var token in tokens)
        {
            using var basic = Server.ClientFor(token);
            using var bearer = Server.BearerClient(token.Secret);
            Assert.Equal(HttpStatusCode.OK, await basic.StatusOfAsync("/rest/copy"));
            Assert.Equal(HttpStatusCode.OK, await bearer.StatusOfAsync("/jdl"));
            await basic.CreateJobAsync("copy", ("text", "uses a token"));
        }

        await Server.RevokeTokenAsync(tokens[1]);
        using (var revoked = Server.ClientFor(tokens[1]))
            Assert.Equal(HttpStatusCode.Unauthorized, await revoked.StatusOfAsync("/rest"));
        // A wrong token is not logged either.
        const string wrong = "opus_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
        using (var wrongClient = Server.ClientFor(user, wrong))
            Assert.Equal(HttpStatusCode.Unauthorized, await wrongClient.StatusOfAsync("/rest"));

        var secrets = tokens.Select(t => t.Secret).Append(OpusServer.AdminToken).ToList();
        await AuthSteps.AssertNotInDatabaseAsync(Server, secrets);
        AuthSteps.AssertNotLogged(Server, [.. secrets, wrong]);
    }

    [Fact]
    public async Task Role_and_activity_changes_apply_to_the_next_request()
    {
        var user = AuthSteps.UniqueName("changing");
        var id = await Server.CreateUserAsync(user, "copy");
        using var client = Server.ClientFor(await Server.IssueTokenAsync(user));
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/jdl/sleep"));
        await PatchAsync(id, """{"op":"add","path":"roles","value":[{"value":"sleep"}]}""");
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/jdl/sleep"));
        await PatchAsync(id, """{"op":"replace","path":"active","value":false}""");
        Assert.Equal(HttpStatusCode.Unauthorized, await client.StatusOfAsync("/jdl/sleep"));
        // Neither can an inactive user's tokens be used to issue new ones.
        using (var issue = await client.PostAsync($"/users/{user}/tokens", new FormUrlEncodedContent([new("name", "while-inactive")])))
            Assert.Equal(HttpStatusCode.Unauthorized, issue.StatusCode);
    }

    private async Task PatchAsync(string id, string operation)
    {
        var body = $$"""{"schemas":["{{AuthSteps.PatchSchema}}"],"Operations":[{{operation}}]}""";
        using var response = await fixture.Admin.PatchAsync($"/scim/v2/Users/{id}", new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(AuthSteps.ScimMediaType)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
