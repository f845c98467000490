using System.Net;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Robustness.RobustnessSteps;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// Issue 13, items 3, 7 and 11: a malformed form on any form route is a one-line 400 that changes
/// nothing and logs no stack trace; every answer, whatever its status, carries the security headers.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class MalformedRequestTests(ServerFixture fixture)
{
    private OpusServer Server => fixture.Server;

    /// <summary>Every route that reads a form; {job} is a PENDING copy job.</summary>
    private static readonly string[] FormRoutes =
    [
        "/rest/copy",
        "/rest/copy/{job}",
        "/rest/copy/{job}/parameters",
        "/rest/copy/{job}/parameters/text",
        "/rest/copy/{job}/phase",
        "/rest/copy/{job}/executionduration",
        "/rest/copy/{job}/destruction",
        "/handler/job_event",
        "/users/admin/tokens",
        "/jdl",
        "/jdl/check",
        "/jdl/copy/publish",
    ];

    [Fact]
    public async Task A_cut_short_or_badly_encoded_form_is_a_one_line_400_on_every_form_route_and_changes_nothing()
    {
        using var admin = Server.AdminClient();
        using var anonymous = new HttpClient { BaseAddress = Server.BaseUri };
        var original = Unique("unchanged");
        var job = await admin.CreateJobAsync("copy", ("text", original));
        var jobsBefore = (await admin.GetJobListAsync("copy")).JobRefIds();
        var tokensBefore = (await admin.GetJsonAsync("/users/admin/tokens"))["tokens"]!.AsArray().Count;
        var versionsBefore = (await admin.GetJsonAsync("/jdl/copy/versions")).ToJsonString();
        var logOffset = Server.Log.Length;

        foreach (var (kind, body, mention) in MalformedForms())
        {
            foreach (var route in FormRoutes)
            {
                var path = route.Replace("/rest/copy/{job}", job, StringComparison.Ordinal);
                // The runners' callback takes no user credential: the anonymous route must hold too.
                var client = route.StartsWith("/handler", StringComparison.Ordinal) ? anonymous : admin;
                using var response = await client.PostAsync(path, body());
                try
                {
                    var message = await AssertOneLineAsync(response, HttpStatusCode.BadRequest, mention);
                    Assert.DoesNotContain(Server.DataPath, message);
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    throw new Xunit.Sdk.XunitException($"{kind} to {route}: {e.Message}");
                }
            }
        }

        // Nothing was created, changed, issued or published.
        var document = await admin.GetDocumentAsync(job);
        Assert.Equal("PENDING", document.Phase());
        Assert.Equal(original, await admin.GetTextAsync($"{job}/parameters/text"));
        Assert.Equal(jobsBefore, (await admin.GetJobListAsync("copy")).JobRefIds());
        Assert.Equal(tokensBefore, (await admin.GetJsonAsync("/users/admin/tokens"))["tokens"]!.AsArray().Count);
        Assert.Equal(versionsBefore, (await admin.GetJsonAsync("/jdl/copy/versions")).ToJsonString());
        AssertNoStackTraceSince(Server, logOffset);
        await admin.DestroyQuietlyAsync(job);
    }

    [Fact]
    public async Task Every_answer_carries_the_security_headers_whatever_its_status()
    {
        using var admin = Server.AdminClient();
        var done = await admin.CreateCompletedCopyJobAsync(Unique("headers"));
        var logOffset = Server.Log.Length;

        (string What, Func<HttpClient, Task<HttpResponseMessage>> Send, HttpStatusCode Status)[] answers =
        [
            ("the health check", c => c.GetAsync("/health"), HttpStatusCode.OK),
            ("a job document", c => c.GetAsync(done), HttpStatusCode.OK),
            ("a result", c => c.GetAsync($"{done}/results/output"), HttpStatusCode.OK),
            ("a redirect", c => c.GetAsync("/"), HttpStatusCode.Redirect),
            ("a creation", c => c.PostFormAsync("/rest/copy", ("text", "x")), HttpStatusCode.SeeOther),
            ("an invalid value", c => c.GetAsync("/rest/copy?LAST=zero"), HttpStatusCode.BadRequest),
            ("a wrong credential", c => Server.BearerClient("opus_not_a_valid_token").GetAsync("/rest/copy"), HttpStatusCode.Unauthorized),
            ("a request illegal in the job's state", c => c.PostFormAsync($"{done}/phase", ("PHASE", "RUN")), HttpStatusCode.Forbidden),
            ("an admin page for a non-admin", c => new HttpClient { BaseAddress = Server.BaseUri }.GetAsync("/status"), HttpStatusCode.Forbidden),
            ("an unknown job", c => c.GetAsync("/rest/copy/nosuchjob"), HttpStatusCode.NotFound),
            ("an unknown route (status-code page)", c => c.GetAsync("/no/such/route"), HttpStatusCode.NotFound),
            ("a method not allowed (status-code page)", c => c.PutAsync("/rest/copy", new StringContent("x")), HttpStatusCode.MethodNotAllowed),
            ("a write to the web client", c => c.PostAsync("/client/index.html", new StringContent("x")), HttpStatusCode.MethodNotAllowed),
            ("a malformed form", c => c.PostAsync("/rest/copy", RawContent("--b\r\n", "multipart/form-data; boundary=b")), HttpStatusCode.BadRequest),
        ];

        foreach (var (what, send, status) in answers)
        {
            using var response = await send(admin);
            await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode}");
            AssertSecurityHeaders(response);
            if (status == HttpStatusCode.SeeOther)
                await admin.DestroyQuietlyAsync(response.Headers.Location!.AbsolutePath);
        }

        // The web client's pages keep their own policy (scripts from this server), with nosniff.
        using var page = await admin.GetAsync("/client/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        AssertSecurityHeaders(page, sandbox: false);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        using var missing = await admin.GetAsync("/client/no-such-file.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        AssertSecurityHeaders(missing, sandbox: false);
        AssertNoStackTraceSince(Server, logOffset);
    }
}
