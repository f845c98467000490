using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Auth;

/// <summary>
/// A server that trusts a test identity provider: our own RSA key, published as a JWKS file.
/// Tokens are built here by hand (header, claims, RS256 signature), so every way of getting one
/// wrong is in our control.
/// </summary>
public sealed class OidcFixture : IAsyncLifetime
{
    public const string Issuer = "https://idp.example.test/realms/opus";
    public const string Audience = "opus-api";
    public const string KeyId = "test-key";

    private readonly string _folder = Directory.CreateTempSubdirectory("opus-jwks-").FullName;

    public RSA Key { get; } = RSA.Create(2048);

    /// <summary>A key the server does not trust (made once: RSA key generation is slow).</summary>
    public RSA ForeignKey { get; } = RSA.Create(2048);

    public OpusServer Server { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Every JWT made, good or bad: none may show in the log.</summary>
    public ConcurrentBag<string> Issued { get; } = [];

    public async Task InitializeAsync()
    {
        var parameters = Key.ExportParameters(false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = KeyId,
                ["n"] = Base64Url(parameters.Modulus!), ["e"] = Base64Url(parameters.Exponent!),
            }),
        };
        var path = Path.Combine(_folder, "jwks.json");
        await File.WriteAllTextAsync(path, jwks.ToJsonString());
        Server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:MaxFailures", "1000000"),
            ("Opus:Auth:Oidc:Issuer", Issuer),
            ("Opus:Auth:Oidc:Audience", Audience),
            ("Opus:Auth:Oidc:JwksPath", path),
            ("Opus:Auth:Oidc:DefaultRoles:0", "copy")));
        Admin = Server.AdminClient();
    }

    /// <summary>
    /// The claims of a good token for <paramref name="user"/>, valid for five minutes; the subject is
    /// the person (by default one per user name, as a provider that never renames anyone would give).
    /// </summary>
    public static JsonObject Claims(string user, string? subject = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = subject ?? $"sub-{user}",
            ["preferred_username"] = user,
            ["email"] = $"{user}@example.org",
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 300,
        };
    }

    /// <summary>A compact JWS: RS256 with <paramref name="signer"/> (our key by default).</summary>
    public string Jwt(JsonObject claims, RSA? signer = null, string? keyId = KeyId)
    {
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT" };
        if (keyId is not null)
            header["kid"] = keyId;
        var input = $"{Base64Url(header)}.{Base64Url(claims)}";
        var signature = (signer ?? Key).SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Remember($"{input}.{Base64Url(signature)}");
    }

    public string Remember(string jwt)
    {
        Issued.Add(jwt);
        return jwt;
    }

    public static string Base64Url(JsonObject json) => Base64Url(Encoding.UTF8.GetBytes(json.ToJsonString()));

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
        Key.Dispose();
        ForeignKey.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>OIDC JWTs: validated against the JWKS for signature, issuer, audience and lifetime; the user is created on first use.</summary>
public sealed class OidcTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private OpusServer Server => fixture.Server;

    [Fact]
    public async Task A_good_token_creates_the_user_on_first_use_with_the_default_roles()
    {
        var name = AuthSteps.UniqueName("oidc");
        Assert.Null(await FindUserAsync(name));
        using var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name)));

        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest/copy"));
        var user = await FindUserAsync(name) ?? throw new Xunit.Sdk.XunitException($"{name} was not created");
        Assert.Equal(["copy"], user["roles"]!.AsArray().Select(r => r!["value"]!.GetValue<string>()));
        Assert.Equal($"{name}@example.org", user["emails"]![0]!["value"]!.GetValue<string>());
        Assert.True(user["active"]!.GetValue<bool>());

        // Only the default roles: no sleep, no SCIM.
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/jdl/sleep"));
        Assert.Equal(HttpStatusCode.Forbidden, await client.StatusOfAsync("/scim/v2/Users"));

        // The job belongs to the user the token names; the same token again finds the same user.
        var job = await client.CreateJobAsync("copy", ("text", "from a JWT"));
        Assert.Equal(name, await client.GetTextAsync($"{job}/owner"));
        using var second = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name)));
        Assert.Contains(UwsTestHelpers.JobIdOf(job), (await second.GetJobListAsync("copy")).JobRefIds());
        Assert.Equal(1, (await fixture.Admin.GetJsonAsync(UserFilter(name)))["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_signed_in_user_can_issue_themselves_an_api_token()
    {
        var name = AuthSteps.UniqueName("oidctok");
        using var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name)));
        var token = await Server.IssueTokenAsync(name, "cli", client: client);
        using var tokenClient = Server.ClientFor(token);
        Assert.Equal(HttpStatusCode.OK, await tokenClient.StatusOfAsync("/rest/copy"));
        AuthSteps.AssertNotLogged(Server, [token.Secret]);
    }

    public static TheoryData<string> BadTokens => new()
    {
        "signed by another key", "wrong issuer", "wrong audience", "no audience", "expired", "not yet valid", "no expiry",
        "another key under an unknown key id", "unsigned (alg none)", "HS256 with the public key", "tampered claims", "no subject", "empty subject", "no user name claim", "malformed user name",
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_401_and_creates_no_user(string problem)
    {
        var name = AuthSteps.UniqueName("bad");
        var claims = OidcFixture.Claims(name);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string jwt;
        switch (problem)
        {
            case "signed by another key":
                jwt = fixture.Jwt(claims, fixture.ForeignKey);
                break;
            case "wrong issuer":
                claims["iss"] = "https://evil.example.test/realms/opus";
                jwt = fixture.Jwt(claims);
                break;
            case "wrong audience":
                claims["aud"] = "another-api";
                jwt = fixture.Jwt(claims);
                break;
            case "no audience":
                claims.Remove("aud");
                jwt = fixture.Jwt(claims);
                break;
            case "expired":
                // Well past the allowed clock skew.
                claims["iat"] = now - 900;
                claims["nbf"] = now - 900;
                claims["exp"] = now - 300;
                jwt = fixture.Jwt(claims);
                break;
            case "not yet valid":
                claims["nbf"] = now + 300;
                claims["exp"] = now + 900;
                jwt = fixture.Jwt(claims);
                break;
            case "no expiry":
                claims.Remove("exp");
                jwt = fixture.Jwt(claims);
                break;
            case "another key under an unknown key id":
                // (Our own key under an unknown kid is accepted: the kid is a hint, every trusted key is tried.)
                jwt = fixture.Jwt(claims, fixture.ForeignKey, keyId: "some-other-key");
                break;
            case "unsigned (alg none)":
                jwt = fixture.Remember($"{OidcFixture.Base64Url(new JsonObject { ["alg"] = "none", ["typ"] = "JWT" })}.{OidcFixture.Base64Url(claims)}.");
                break;
            case "HS256 with the public key":
            {
                // The old algorithm-confusion attack: an HMAC keyed with what the server knows publicly.
                var header = new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = OidcFixture.KeyId };
                var input = $"{OidcFixture.Base64Url(header)}.{OidcFixture.Base64Url(claims)}";
                var mac = HMACSHA256.HashData(fixture.Key.ExportParameters(false).Modulus!, Encoding.ASCII.GetBytes(input));
                jwt = fixture.Remember($"{input}.{OidcFixture.Base64Url(mac)}");
                break;
            }

            case "tampered claims":
            {
                var good = fixture.Jwt(claims).Split('.');
                claims["preferred_username"] = "admin";
                jwt = fixture.Remember($"{good[0]}.{OidcFixture.Base64Url(claims)}.{good[2]}");
                break;
            }

            case "no subject":
                claims.Remove("sub");
                jwt = fixture.Jwt(claims);
                break;
            case "empty subject":
                claims["sub"] = "";
                jwt = fixture.Jwt(claims);
                break;
            case "no user name claim":
                claims.Remove("preferred_username");
                jwt = fixture.Jwt(claims);
                break;
            case "malformed user name":
                claims["preferred_username"] = $"{name} with spaces";
                jwt = fixture.Jwt(claims);
                break;
            default:
                throw new ArgumentException(problem);
        }

        using var client = Server.BearerClient(jwt);
        using var response = await client.GetAsync("/rest/copy");
        AuthSteps.AssertChallenge(response, problem);
        Assert.Null(await FindUserAsync(name));
        Assert.Null(await FindUserAsync($"{name} with spaces"));
    }

    [Fact]
    public async Task An_inactive_user_is_refused_even_with_a_good_token()
    {
        var name = AuthSteps.UniqueName("oidcoff");
        using var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name)));
        Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));
        var id = (await FindUserAsync(name))!["id"]!.GetValue<string>();
        var patch = $$"""{"schemas":["{{AuthSteps.PatchSchema}}"],"Operations":[{"op":"replace","path":"active","value":false}]}""";
        using (var response = await fixture.Admin.PatchAsync($"/scim/v2/Users/{id}", new StringContent(patch, Encoding.UTF8, AuthSteps.ScimMediaType)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var again = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name)));
        using var refused = await again.GetAsync("/rest");
        AuthSteps.AssertChallenge(refused, "an inactive user's JWT");
    }

    [Fact]
    public async Task A_token_naming_a_users_id_does_not_act_as_that_user()
    {
        // The SCIM id of the admin is not a user name: a JWT naming it must not sign in as the admin.
        var admin = await FindUserAsync("admin") ?? throw new Xunit.Sdk.XunitException("no admin");
        var adminId = admin["id"]!.GetValue<string>();
        using var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(adminId)));
        using var response = await client.GetAsync("/scim/v2/Users");
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains((await FindUserAsync("admin"))!["roles"]!.AsArray(), r => r!["value"]!.GetValue<string>() == "admin");
    }

    [Fact]
    public async Task Api_tokens_still_work_beside_oidc_and_no_jwt_is_logged()
    {
        Assert.Equal(HttpStatusCode.OK, await fixture.Admin.StatusOfAsync("/rest"));
        using var admin = Server.BearerClient(OpusServer.AdminToken);
        Assert.Equal(HttpStatusCode.OK, await admin.StatusOfAsync("/scim/v2/Users"));
        // A JWT-looking API token that is nothing: 401, not an error.
        using var dotted = Server.BearerClient(fixture.Remember("opus_a.b.c"));
        Assert.Equal(HttpStatusCode.Unauthorized, await dotted.StatusOfAsync("/rest"));

        var name = AuthSteps.UniqueName("oidclog");
        using (var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name))))
            Assert.Equal(HttpStatusCode.OK, await client.StatusOfAsync("/rest"));
        // The signature part is what makes a JWT a credential; neither it nor the whole token may be logged.
        AuthSteps.AssertNotLogged(Server, fixture.Issued.SelectMany(j => new[] { j, j[(j.LastIndexOf('.') + 1)..] }).Where(s => s.Length > 20));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("local")]
    public async Task A_token_whose_name_is_a_local_users_is_refused_and_acts_as_nobody(string who)
    {
        // Anyone at the provider may call themselves "admin": the name alone must reach no account.
        var name = who == "admin" ? "admin" : AuthSteps.UniqueName("local");
        if (who == "local")
            await Server.CreateUserAsync(name, "copy", "sleep");
        var before = await FindUserAsync(name) ?? throw new Xunit.Sdk.XunitException($"no {name}");

        using var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, subject: Guid.NewGuid().ToString())));
        foreach (var path in new[] { "/me", "/rest/copy", "/scim/v2/Users" })
        {
            using var response = await client.GetAsync(path);
            AuthSteps.AssertChallenge(response, $"{who}'s name at {path}");
        }

        // The account is as it was: not linked, no roles gained or lost.
        var after = (await FindUserAsync(name))!;
        Assert.Null(after["externalId"]);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Contains($"belongs to another Opus account", Server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_subject_under_a_new_name_reaches_the_same_user_which_keeps_its_name()
    {
        var name = AuthSteps.UniqueName("renamed");
        var subject = Guid.NewGuid().ToString();
        using (var first = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, subject))))
            Assert.Equal(name, await UserNameAsync(first));
        Assert.Equal(subject, (await FindUserAsync(name))!["externalId"]!.GetValue<string>());

        var newName = AuthSteps.UniqueName("renamed");
        using (var second = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(newName, subject))))
            Assert.Equal(name, await UserNameAsync(second));
        Assert.Null(await FindUserAsync(newName));

        // The old name is the person's account, not a name anyone can take back.
        using var other = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, Guid.NewGuid().ToString())));
        AuthSteps.AssertChallenge(await other.GetAsync("/me"), "another subject under the old name");
    }

    [Fact]
    public async Task Two_subjects_claiming_one_name_the_second_is_refused()
    {
        var name = AuthSteps.UniqueName("twice");
        using (var first = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, "first-person"))))
            Assert.Equal(name, await UserNameAsync(first));
        using var second = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, "second-person")));
        using var refused = await second.GetAsync("/me");
        AuthSteps.AssertChallenge(refused, "a second subject under a taken name");
        Assert.Equal("first-person", (await FindUserAsync(name))!["externalId"]!.GetValue<string>());
        Assert.Equal(1, (await fixture.Admin.GetJsonAsync(UserFilter(name)))["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_user_created_by_a_sign_in_before_linking_is_linked_to_the_first_subject_and_then_only_to_it()
    {
        // As an earlier version left it: made by a sign-in through this issuer, unlinked.
        var name = AuthSteps.UniqueName("legacy");
        await Server.CreateUserAsync(name, "copy");
        await SetSourceAsync(name, OidcFixture.Issuer);
        Assert.Null((await FindUserAsync(name))!["externalId"]);

        using (var owner = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, "legacy-owner"))))
            Assert.Equal(name, await UserNameAsync(owner));
        Assert.Equal("legacy-owner", (await FindUserAsync(name))!["externalId"]!.GetValue<string>());

        using (var again = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(AuthSteps.UniqueName("legacy"), "legacy-owner"))))
            Assert.Equal(name, await UserNameAsync(again));
        using var other = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, "someone-else")));
        AuthSteps.AssertChallenge(await other.GetAsync("/me"), "another subject after the link");

        // A local user of another source is never linked that way.
        var local = AuthSteps.UniqueName("legacy");
        await Server.CreateUserAsync(local, "copy");
        await SetSourceAsync(local, "https://another-idp.example.test");
        using var stranger = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(local)));
        AuthSteps.AssertChallenge(await stranger.GetAsync("/me"), "a user made through another issuer");
    }

    [Fact]
    public async Task A_user_prepared_with_the_subject_as_externalId_is_linked_at_sign_in_whatever_its_name()
    {
        var name = AuthSteps.UniqueName("prepared");
        var subject = Guid.NewGuid().ToString();
        var created = await ScimPostAsync(name, subject, "sleep");
        var lastModified = created["meta"]!["lastModified"]!.GetValue<string>();
        await Task.Delay(20);

        var claimed = AuthSteps.UniqueName("atidp");
        using (var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(claimed, subject))))
        {
            var me = await client.GetJsonAsync("/me");
            Assert.Equal(name, me["userName"]!.GetValue<string>());
            Assert.Equal(["sleep"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        }

        Assert.Null(await FindUserAsync(claimed));
        // Signing in is no change of the account.
        var linked = (await FindUserAsync(name))!;
        Assert.Equal(subject, linked["externalId"]!.GetValue<string>());
        Assert.Equal(lastModified, linked["meta"]!["lastModified"]!.GetValue<string>());

        // From now on the account is that person's: another subject under its name is refused.
        using var other = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name, Guid.NewGuid().ToString())));
        AuthSteps.AssertChallenge(await other.GetAsync("/me"), "another subject under a prepared user's name");
    }

    [Fact]
    public async Task Last_modified_follows_changes_not_sign_ins()
    {
        var name = AuthSteps.UniqueName("modified");
        using (var client = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name))))
            Assert.Equal(name, await UserNameAsync(client));
        var user = (await FindUserAsync(name))!;
        var id = user["id"]!.GetValue<string>();
        var created = user["meta"]!["created"]!.GetValue<string>();
        Assert.Equal(created, user["meta"]!["lastModified"]!.GetValue<string>());

        await Task.Delay(20);
        using (var again = Server.BearerClient(fixture.Jwt(OidcFixture.Claims(name))))
            Assert.Equal(name, await UserNameAsync(again));
        Assert.Equal(created, (await FindUserAsync(name))!["meta"]!["lastModified"]!.GetValue<string>());

        var patch = $$"""{"schemas":["{{AuthSteps.PatchSchema}}"],"Operations":[{"op":"replace","path":"displayName","value":"Renamed"}]}""";
        using (var response = await fixture.Admin.PatchAsync($"/scim/v2/Users/{id}", new StringContent(patch, Encoding.UTF8, AuthSteps.ScimMediaType)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var patched = (await FindUserAsync(name))!["meta"]!["lastModified"]!.GetValue<string>();
        Assert.True(string.CompareOrdinal(patched, created) > 0, $"lastModified {patched} after a PATCH of a user created {created}");
        Assert.Equal(created, (await FindUserAsync(name))!["meta"]!["created"]!.GetValue<string>());
    }

    private static async Task<string> UserNameAsync(HttpClient client) => (await client.GetJsonAsync("/me"))["userName"]!.GetValue<string>();

    private async Task<JsonNode> ScimPostAsync(string name, string externalId, params string[] roles)
    {
        var body = new JsonObject
        {
            ["schemas"] = new JsonArray(AuthSteps.UserSchema),
            ["userName"] = name,
            ["externalId"] = externalId,
            ["roles"] = new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        using var response = await fixture.Admin.PostAsync("/scim/v2/Users", AuthSteps.ScimContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!;
    }

    /// <summary>Where a user came from, written straight into the database (SQLite or PostgreSQL) as an earlier version would have.</summary>
    private async Task SetSourceAsync(string name, string source)
    {
        await using var db = await TestPostgres.OpenDatabaseAsync(Server);
        await using var command = db.CreateCommand();
        command.CommandText = "UPDATE users SET \"Source\" = @source WHERE \"UserName\" = @name";
        foreach (var (key, value) in new[] { ("source", source), ("name", name) })
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = key;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static string UserFilter(string name) => $"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{name}\"")}";

    private async Task<JsonNode?> FindUserAsync(string name)
    {
        var list = await fixture.Admin.GetJsonAsync(UserFilter(name));
        return list["totalResults"]!.GetValue<int>() == 0 ? null : list["Resources"]![0];
    }
}
