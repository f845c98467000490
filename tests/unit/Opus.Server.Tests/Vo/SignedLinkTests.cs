using System.Net;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Vo;

/// <summary>Signed result links: made by the owner or an admin, read without credentials while valid, and only for their result.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SignedLinkTests(VoFixture fixture) : IClassFixture<VoFixture>
{
    private OpusServer Server => fixture.Server;

    private static HttpClient Anybody(OpusServer server) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(120) };

    private static async Task<string> LinkAsync(HttpClient client, string result, params (string Name, string Value)[] form)
    {
        using var response = await client.PostFormAsync($"{result}/link", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {result}/link: {(int)response.StatusCode} {body}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        return body.Trim();
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static void AssertRefused(HttpStatusCode expected, (HttpStatusCode Status, string Body) answer, string because)
    {
        Assert.True(answer.Status == expected, $"{because}: expected {(int)expected}, got {(int)answer.Status} {answer.Body}");
        Assert.Single(answer.Body.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("Exception", answer.Body);
    }

    [Fact]
    public async Task The_owners_link_reads_the_result_without_credentials_and_the_signature_stays_out_of_the_log()
    {
        var (_, result) = await fixture.CompletedJobAsync("signed text");
        using var owner = Server.ClientFor(fixture.Owner);
        var expected = await owner.GetByteArrayAsync(result);

        var link = await LinkAsync(owner, result);
        var url = new Uri(link);
        Assert.Equal(Server.BaseUri.Authority, url.Authority);
        Assert.Equal(result, url.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        var exp = long.Parse(query["exp"]!, System.Globalization.CultureInfo.InvariantCulture);
        // The default lifetime: a day, whatever the link's creation took.
        Assert.InRange(exp - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 24 * 3600 - 600, 24 * 3600);

        using var anybody = Anybody(Server);
        using var response = await anybody.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(anybody, result)).Status);

        var signature = query["sig"]!;
        await Eventually.HoldsAsync(() => Server.Log.Contains($"GET {result} 200", StringComparison.Ordinal), "the access log records the signed GET");
        Assert.DoesNotContain(signature, Server.Log);
    }

    [Fact]
    public async Task A_tampered_expired_or_moved_link_is_403_with_one_line()
    {
        var (job, result) = await fixture.CompletedJobAsync("first");
        var (_, otherJobResult) = await fixture.CompletedJobAsync("second");
        using var owner = Server.ClientFor(fixture.Owner);
        var link = new Uri(await LinkAsync(owner, result));
        var query = System.Web.HttpUtility.ParseQueryString(link.Query);
        var sig = query["sig"]!;
        var exp = query["exp"]!;
        using var anybody = Anybody(Server);

        var flipped = (sig[0] == 'A' ? 'B' : 'A') + sig[1..];
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{result}?sig={flipped}&exp={exp}"), "a changed signature");
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{result}?sig={sig}&exp={long.Parse(exp, System.Globalization.CultureInfo.InvariantCulture) + 3600}"), "a later expiry");
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{otherJobResult}?sig={sig}&exp={exp}"), "another job's result");
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{job}/results/other?sig={sig}&exp={exp}"), "another result name");
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{result}?sig={sig}"), "no expiry");
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{result}?sig=%%%&exp={exp}"), "a signature that is not base64url");

        // A link of one second: refused once its second has passed, saying so.
        var shortLived = await LinkAsync(owner, result, ("EXPIRES", "1"));
        var expired = await Eventually.HoldsAsync(() => GetAsync(anybody, shortLived), a => a.Status != HttpStatusCode.OK, "the one-second link expires");
        AssertRefused(HttpStatusCode.Forbidden, expired, "an expired link");
        Assert.Contains("expired", expired.Body);
    }

    [Fact]
    public async Task Deleting_the_job_revokes_its_links()
    {
        var (job, result) = await fixture.CompletedJobAsync("to delete");
        using var owner = Server.ClientFor(fixture.Owner);
        var link = await LinkAsync(owner, result);
        using var anybody = Anybody(Server);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(anybody, link)).Status);

        using var deleted = await owner.DeleteAsync(job);
        Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);

        AssertRefused(HttpStatusCode.NotFound, await GetAsync(anybody, link), "a link to a deleted job");
    }

    [Fact]
    public async Task Only_the_owner_or_an_admin_makes_a_link_within_the_maximum_lifetime()
    {
        var (job, result) = await fixture.CompletedJobAsync("mine");
        using var other = Server.ClientFor(fixture.Other);
        using var admin = Server.AdminClient();
        using var owner = Server.ClientFor(fixture.Owner);
        using var anybody = Anybody(Server);

        using (var refused = await other.PostFormAsync($"{result}/link"))
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        using (var noCaller = await anybody.PostFormAsync($"{result}/link"))
            Assert.Equal(HttpStatusCode.Unauthorized, noCaller.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(anybody, await LinkAsync(admin, result))).Status);

        using (var tooLong = await owner.PostFormAsync($"{result}/link", ("EXPIRES", (VoFixture.MaxLinkSeconds + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))))
            AssertRefused(HttpStatusCode.BadRequest, (tooLong.StatusCode, await tooLong.Content.ReadAsStringAsync()), "a lifetime over the maximum");
        using (var noResult = await owner.PostFormAsync($"{job}/results/nothing/link"))
            AssertRefused(HttpStatusCode.NotFound, (noResult.StatusCode, await noResult.Content.ReadAsStringAsync()), "a result the job does not have");

        var link = new Uri(await LinkAsync(owner, result, ("EXPIRES", VoFixture.MaxLinkSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        var exp = long.Parse(System.Web.HttpUtility.ParseQueryString(link.Query)["exp"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(exp - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), VoFixture.MaxLinkSeconds - 600, VoFixture.MaxLinkSeconds);
    }

    [Fact]
    public async Task A_completed_jobs_provenance_documents_have_links_that_show_what_the_owner_sees()
    {
        var (job, _) = await fixture.CompletedJobAsync("with provenance");
        using var owner = Server.ClientFor(fixture.Owner);
        using var admin = Server.AdminClient();
        using var anybody = Anybody(Server);
        foreach (var name in new[] { "provjson", "provxml", "provn" })
        {
            // The document the owner reads with credentials, listed as a result of the job.
            var expected = await owner.GetStringAsync($"{job}/results/{name}");
            Assert.Contains(job.Split('/')[^1], expected);

            // An admin's link shows the owner's document too: a signed link never shows more than the owner may see.
            foreach (var maker in new[] { owner, admin })
            {
                var link = await LinkAsync(maker, $"{job}/results/{name}");
                Assert.Equal($"{job}/results/{name}", new Uri(link).AbsolutePath);
                var (status, body) = await GetAsync(anybody, link);
                Assert.True(status == HttpStatusCode.OK, $"GET the signed {name}: {(int)status} {body}");
                Assert.Equal(expected, body);
            }
        }

        // The link is bound to its document: provjson's signature does not read provn.
        var json = new Uri(await LinkAsync(owner, $"{job}/results/provjson"));
        AssertRefused(HttpStatusCode.Forbidden, await GetAsync(anybody, $"{job}/results/provn{json.Query}"), "provjson's link moved to provn");

        // A job that has not completed lists no provenance document: no link to one.
        var pendingJob = await owner.CreateJobAsync("copy", ("text", "not run"));
        using (var refused = await owner.PostFormAsync($"{pendingJob}/results/provjson/link"))
            AssertRefused(HttpStatusCode.NotFound, (refused.StatusCode, await refused.Content.ReadAsStringAsync()), "provjson of a PENDING job");
    }

    [Fact]
    public async Task The_key_is_a_file_of_the_server_alone_in_the_data_folder()
    {
        var (_, result) = await fixture.CompletedJobAsync("key");
        using var owner = Server.ClientFor(fixture.Owner);
        await LinkAsync(owner, result);

        var key = Path.Combine(Server.DataPath, "result-links.key");
        Assert.True(File.Exists(key), "the key is created on first use");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.True(new FileInfo(key).Length >= 32);
    }
}
