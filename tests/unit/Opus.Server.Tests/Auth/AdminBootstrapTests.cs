using System.Net;
using System.Text.RegularExpressions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>The first admin: from configuration, or a token printed once on the console; never a default password.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class AdminBootstrapTests
{
    [Fact]
    public async Task Without_a_configured_token_one_is_written_once_to_a_private_file_and_works()
    {
        // The harness configures a token; an empty one is "none configured".
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Auth:AdminToken", "")));
        // The harness's console is not a terminal: the token is in a file only the server's user reads, the console says which.
        var file = Path.Combine(server.DataPath, "admin-token");
        Assert.Contains($"Its API token is in {file}", server.Log);
        Assert.Empty(PrintedTokens(server.Log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var token = (await File.ReadAllTextAsync(file)).TrimEnd('\n');
        Assert.Matches("^opus_[a-z2-7]{32}$", token);
        Assert.DoesNotContain(token, server.Log);
        Assert.NotEqual(OpusServer.AdminToken, token);
        using (var harnessToken = server.AdminClient())
            Assert.Equal(HttpStatusCode.Unauthorized, await harnessToken.StatusOfAsync("/scim/v2/Users"));

        using (var basic = server.ClientFor("admin", token))
            Assert.Equal(HttpStatusCode.OK, await basic.StatusOfAsync("/scim/v2/Users"));
        using (var bearer = server.BearerClient(token))
            Assert.Equal(HttpStatusCode.OK, await bearer.StatusOfAsync("/scim/v2/ServiceProviderConfig"));

        // No default password: the usual guesses are refused.
        foreach (var guess in new[] { "admin", "password", "opus", "changeme", "" })
        {
            using var guessing = server.ClientFor("admin", guess);
            Assert.Equal(HttpStatusCode.Unauthorized, await guessing.StatusOfAsync("/rest"));
        }

        // A restart finds the admin and writes nothing new; the token still works.
        File.Delete(file);
        await server.KillAsync();
        await server.RestartAsync();
        Assert.False(File.Exists(file));
        Assert.Single(Regex.Matches(server.Log, "Its API token is in"));
        Assert.DoesNotContain(token, server.Log);
        using (var again = server.ClientFor("admin", token))
            Assert.Equal(HttpStatusCode.OK, await again.StatusOfAsync("/scim/v2/Users"));

        await AuthSteps.AssertNotInDatabaseAsync(server, [token]);
    }

    [Fact]
    public async Task A_configured_admin_name_and_token_are_used_never_printed_and_a_short_one_stops_the_start()
    {
        var data = Directory.CreateTempSubdirectory("opus-test-").FullName;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            OpusServer.StartAsync(AuthSteps.Settings(("Opus:Auth:AdminUserName", "root"), ("Opus:Auth:AdminToken", "short")), data));
        // The message names the setting to fix.
        Assert.Contains("Opus:Auth:AdminToken must be at least 20 characters", error.Message);

        // Fixed and started again on the same data: the refused start left no admin without a token.
        var configured = $"opus_configured_{Guid.NewGuid():N}";
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:AdminUserName", "root"),
            ("Opus:Auth:AdminToken", configured)), data);
        using (var root = server.ClientFor("root", configured))
        {
            var admins = await root.GetJsonAsync("/scim/v2/Users?filter=userName%20eq%20%22root%22");
            Assert.Equal(1, admins["totalResults"]!.GetValue<int>());
            Assert.Contains(admins["Resources"]![0]!["roles"]!.AsArray(), r => r!["value"]!.GetValue<string>() == "admin");
        }

        using (var bearer = server.BearerClient(configured))
            Assert.Equal(0, (await bearer.GetJsonAsync("/scim/v2/Users?filter=userName%20eq%20%22admin%22"))["totalResults"]!.GetValue<int>());
        Assert.Empty(PrintedTokens(server.Log));
        AuthSteps.AssertNotLogged(server, [configured]);
        await AuthSteps.AssertNotInDatabaseAsync(server, [configured]);
    }

    private static List<string> PrintedTokens(string log) => PrintedToken().Matches(log).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"^\s+(opus_[a-z2-7]{32})\s*$", RegexOptions.Multiline)]
    private static partial Regex PrintedToken();
}
