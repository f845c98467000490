using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Vo;

/// <summary>
/// Notices by e-mail (issue 18) through a real SMTP server (aiosmtpd): admins hear of proposed definitions, owners of
/// their jobs' end when the job or their preference asks; an SMTP server that never answers delays no job.
/// </summary>
public sealed class MailNotificationTests
{
    private const string PublicUrl = "http://opus.example.org";

    private static Dictionary<string, string> MailSettings(int port, params (string Key, string Value)[] more) => AuthSteps.Settings(
    [
        ("Opus:Mail:Host", "127.0.0.1"),
        ("Opus:Mail:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Opus:Mail:Security", "None"),
        ("Opus:Mail:From", "Opus <opus@example.org>"),
        // Links in the mail come from the public address; runners still call back to the test's own.
        ("Opus:PublicUrl", PublicUrl),
        ("Opus:CallbackUrl", "http://127.0.0.1:{port}/handler/job_event"),
        .. more,
    ]);

    private static async Task SetUserAsync(OpusServer server, string userName, JsonObject attributes)
    {
        using var admin = server.AdminClient();
        var list = JsonNode.Parse(await admin.GetStringAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName}\"")}"))!;
        var id = list["Resources"]![0]!["id"]!.GetValue<string>();
        using var response = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/scim/v2/Users/{id}")
        {
            Content = AuthSteps.ScimContent(new JsonObject
            {
                ["schemas"] = new JsonArray(AuthSteps.PatchSchema),
                ["Operations"] = new JsonArray(new JsonObject { ["op"] = "replace", ["value"] = attributes }),
            }),
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static JsonObject Email(string address) => new() { ["emails"] = new JsonArray(new JsonObject { ["value"] = address, ["primary"] = true }) };

    private static async Task<HttpClient> UserAsync(OpusServer server, string name, string email, params string[] roles)
    {
        await server.CreateUserAsync(name, roles);
        await SetUserAsync(server, name, Email(email));
        return server.ClientFor(await server.IssueTokenAsync(name));
    }

    private static string IdOf(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];

    [Fact]
    public async Task Admins_with_an_address_hear_of_a_proposed_definition_and_owners_of_their_jobs_end()
    {
        await using var smtp = await SmtpSink.StartAsync();
        await using var server = await OpusServer.StartAsync(MailSettings(smtp.Port));
        await SetUserAsync(server, "admin", Email("admin@example.org"));
        var alice = AuthSteps.UniqueName("alice");
        using var asAlice = await UserAsync(server, alice, "alice@example.org", "copy", "fail");
        var bob = AuthSteps.UniqueName("bob");
        using var asBob = await UserAsync(server, bob, "bob@example.org", "fail");

        // A user's proposal: mailed to the admin, not to the users who have an address but no admin role.
        var name = AuthSteps.UniqueName("proposed");
        await asAlice.ProposeAsync(name, $"name: {name}\nversion: \"1.0\"\ndescription: proposed by alice\nscript: |\n  echo hi\n");
        var proposal = await smtp.ReceivesAsync(m => m.Subject.Contains(name, StringComparison.Ordinal), "the admin's notice of the proposal");
        Assert.Equal(["admin@example.org"], proposal.To);
        Assert.Equal($"Opus: {alice} proposed the job definition {name} (version 1.0)", proposal.Subject);
        Assert.Contains($"{PublicUrl}/jdl/{name}/versions", proposal.Body);

        // NOTIFY=true: the owner hears of the end, with the job's link built from Opus:PublicUrl.
        var job = await asAlice.CreateJobAsync("copy", ("text", "mail me"), ("NOTIFY", "true"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await asAlice.WaitForFinalAsync(job)).Phase());
        var ended = await smtp.ReceivesAsync(m => m.Subject.Contains(IdOf(job), StringComparison.Ordinal), "alice's notice of her job's end");
        Assert.Equal([$"alice@example.org"], ended.To);
        Assert.Equal($"Opus job {IdOf(job)} (copy) COMPLETED", ended.Subject);
        Assert.Contains($"{PublicUrl}/rest/copy/{IdOf(job)}", ended.Body);

        // Bob's preference (the SCIM extension) mails him without NOTIFY, and NOTIFY=false overrides it. The notices go
        // out in order of the jobs' ends, so once the second job's arrives, the first one's would have come before it.
        await SetUserAsync(server, bob, new JsonObject { ["urn:opus:scim:schemas:extension:2.0:User:notifyOnJobEnd"] = true });
        var quiet = await asBob.CreateJobAsync("fail", ("NOTIFY", "false"), ("PHASE", "RUN"));
        Assert.Equal("ERROR", (await asBob.WaitForFinalAsync(quiet)).Phase());
        var failed = await asBob.CreateJobAsync("fail", ("message", "broken on purpose"), ("PHASE", "RUN"));
        Assert.Equal("ERROR", (await asBob.WaitForFinalAsync(failed)).Phase());
        var error = await smtp.ReceivesAsync(m => m.Subject.Contains(IdOf(failed), StringComparison.Ordinal), "bob's notice of his failed job");
        Assert.Equal(["bob@example.org"], error.To);
        Assert.Equal($"Opus job {IdOf(failed)} (fail) ERROR", error.Subject);
        Assert.Contains($"{PublicUrl}/rest/fail/{IdOf(failed)}", error.Body);
        Assert.DoesNotContain(smtp.Messages, m => m.Subject.Contains(IdOf(quiet), StringComparison.Ordinal));

        // The preference shows in SCIM; alice, without it and without NOTIFY, is not mailed (checked the same way).
        using var admin = server.AdminClient();
        var bobDocument = JsonNode.Parse(await admin.GetStringAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{bob}\"")}"))!;
        Assert.True(bobDocument["Resources"]![0]!["urn:opus:scim:schemas:extension:2.0:User"]!["notifyOnJobEnd"]!.GetValue<bool>());
        var silent = await asAlice.CreateJobAsync("copy", ("text", "no mail"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await asAlice.WaitForFinalAsync(silent)).Phase());
        var marker = await asAlice.CreateJobAsync("copy", ("text", "mail me"), ("NOTIFY", "true"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await asAlice.WaitForFinalAsync(marker)).Phase());
        await smtp.ReceivesAsync(m => m.Subject.Contains(IdOf(marker), StringComparison.Ordinal), "alice's second notice");
        Assert.DoesNotContain(smtp.Messages, m => m.Subject.Contains(IdOf(silent), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_smtp_server_that_never_answers_delays_no_job_and_the_failure_is_logged_after_bounded_attempts()
    {
        // Accepts connections and never says a word: each attempt runs into the timeout.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var server = await OpusServer.StartAsync(MailSettings(port,
            ("Opus:Mail:Timeout", "00:00:03"), ("Opus:Mail:Attempts", "2"), ("Opus:Mail:RetryDelay", "00:00:01"),
            ("Opus:Mail:User", "opus"), ("Opus:Mail:Password", "opus-smtp-password")));
        var alice = AuthSteps.UniqueName("alice");
        using var asAlice = await UserAsync(server, alice, "alice@example.org", "copy");

        // Two jobs one after the other, each asking for mail: neither waits for the SMTP server.
        foreach (var text in new[] { "first", "second" })
        {
            var job = await asAlice.CreateJobAsync("copy", ("text", text), ("NOTIFY", "true"), ("PHASE", "RUN"));
            Assert.Equal("COMPLETED", (await asAlice.WaitForFinalAsync(job)).Phase());
        }

        await Eventually.HoldsAsync(() => server.Log.Contains("given up after 2 attempts", StringComparison.Ordinal), "the mail given up in the log");
        Assert.Contains("failed, attempt 1, retrying", server.Log);
        Assert.DoesNotContain("opus-smtp-password", server.Log);
    }
}
