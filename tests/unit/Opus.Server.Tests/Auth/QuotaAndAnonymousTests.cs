using System.Net;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Auth;

/// <summary>A server with a quota of one active job per user, and anonymous access with its own role (copy only).</summary>
public sealed class QuotaFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxActiveJobsPerUser"] = "1",
            ["Opus:Auth:AnonymousEnabled"] = "true",
            ["Opus:Auth:AnonymousRoles:0"] = "copy",
            ["Opus:Auth:MaxFailures"] = "1000000",
            ["Opus:KillGraceSeconds"] = "1",
        });

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

public sealed class QuotaAndAnonymousTests(QuotaFixture fixture) : IClassFixture<QuotaFixture>
{
    private OpusServer Server => fixture.Server;

    [Fact]
    public async Task A_second_run_beyond_the_quota_is_403_saying_quota()
    {
        var user = AuthSteps.UniqueName("quota");
        await Server.CreateUserAsync(user, "sleep", "copy");
        using var client = Server.ClientFor(await Server.IssueTokenAsync(user));
        var first = await client.StartSleepJobAsync(3600);
        var jobs = new List<string> { first };
        try
        {
            // Created and run at once: refused, and no job is left behind for a request that failed.
            using (var refused = await client.PostFormAsync("/rest/sleep", ("seconds", "30"), ("PHASE", "RUN")))
                await UwsTestHelpers.AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "quota");
            Assert.Equal([UwsTestHelpers.JobIdOf(first)], (await client.GetJobListAsync("sleep")).JobRefIds());

            // Created, then run: the RUN is refused, the job stays PENDING.
            var second = await client.CreateJobAsync("sleep", ("seconds", "3600"));
            jobs.Add(second);
            using (var refused = await client.PostFormAsync($"{second}/phase", ("PHASE", "RUN")))
                await UwsTestHelpers.AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "quota");
            Assert.Equal("PENDING", await client.GetTextAsync($"{second}/phase"));

            // Another user's quota is their own.
            var other = AuthSteps.UniqueName("quota");
            await Server.CreateUserAsync(other, "copy");
            using (var otherClient = Server.ClientFor(await Server.IssueTokenAsync(other)))
                await otherClient.CreateCompletedCopyJobAsync();

            // When the first ends, the second may run.
            using (var abort = await client.PostFormAsync($"{first}/phase", ("PHASE", "ABORT")))
                Assert.Equal(HttpStatusCode.SeeOther, abort.StatusCode);
            await client.WaitForFinalPhaseAsync(first);
            using (var run = await client.PostFormAsync($"{second}/phase", ("PHASE", "RUN")))
                Assert.Equal(HttpStatusCode.SeeOther, run.StatusCode);
        }
        finally
        {
            foreach (var job in jobs)
                await client.DestroyQuietlyAsync(job);
        }
    }

    [Fact]
    public async Task Anonymous_callers_share_one_quota_for_their_jobs()
    {
        // A server of its own: anonymous callers may run sleep here (the fixture's may run copy only).
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxActiveJobsPerUser"] = "1",
            ["Opus:Auth:AnonymousEnabled"] = "true",
            ["Opus:Auth:AnonymousRoles:0"] = "*",
            ["Opus:KillGraceSeconds"] = "1",
        });
        var anonymous = server.Client;
        var first = await anonymous.StartSleepJobAsync(3600);
        Assert.Equal("", await anonymous.GetTextAsync($"{first}/owner"));

        // Another anonymous caller (another connection, nothing in common but being anonymous) is held to the same quota.
        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using (var refused = await stranger.PostFormAsync("/rest/sleep", ("seconds", "30"), ("PHASE", "RUN")))
            await UwsTestHelpers.AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "quota", "anonymous");
        Assert.Equal([UwsTestHelpers.JobIdOf(first)], (await stranger.GetJobListAsync("sleep")).JobRefIds());
        var second = await stranger.CreateJobAsync("sleep", ("seconds", "3600"));
        using (var refused = await stranger.PostFormAsync($"{second}/phase", ("PHASE", "RUN")))
            await UwsTestHelpers.AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "quota");
        Assert.Equal("PENDING", await stranger.GetTextAsync($"{second}/phase"));

        // A signed-in user's quota is their own, not the anonymous one.
        var user = AuthSteps.UniqueName("quota");
        await server.CreateUserAsync(user, "sleep");
        using (var client = server.ClientFor(await server.IssueTokenAsync(user)))
        {
            var own = await client.StartSleepJobAsync(3600);
            await client.DestroyQuietlyAsync(own);
        }

        // When the anonymous job ends, the next anonymous one may run.
        using (var abort = await anonymous.PostFormAsync($"{first}/phase", ("PHASE", "ABORT")))
            Assert.Equal(HttpStatusCode.SeeOther, abort.StatusCode);
        await anonymous.WaitForFinalPhaseAsync(first);
        using (var run = await stranger.PostFormAsync($"{second}/phase", ("PHASE", "RUN")))
            Assert.Equal(HttpStatusCode.SeeOther, run.StatusCode);
        foreach (var job in new[] { first, second })
            await anonymous.DestroyQuietlyAsync(job);
    }

    [Fact]
    public async Task Admins_are_not_held_to_the_quota()
    {
        using var admin = Server.AdminClient();
        var jobs = new List<string>();
        try
        {
            jobs.Add(await admin.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN")));
            jobs.Add(await admin.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN")));
            foreach (var job in jobs)
                Assert.NotEqual("PENDING", await admin.GetTextAsync($"{job}/phase"));
        }
        finally
        {
            foreach (var job in jobs)
                await admin.DestroyQuietlyAsync(job);
        }
    }

    [Fact]
    public async Task Anonymous_callers_have_their_own_roles_and_their_own_jobs()
    {
        var anonymous = Server.Client;
        Assert.Equal(HttpStatusCode.OK, await anonymous.StatusOfAsync("/rest/copy"));
        Assert.Equal(HttpStatusCode.Forbidden, await anonymous.StatusOfAsync("/rest/sleep"));
        Assert.Equal(HttpStatusCode.Forbidden, await anonymous.StatusOfAsync("/jdl/sleep"));
        Assert.Equal(HttpStatusCode.Forbidden, await anonymous.StatusOfAsync("/scim/v2/Users"));
        using (var create = await anonymous.PostFormAsync("/rest/sleep", ("seconds", "1")))
            Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);

        // Anonymous callers have no tokens: they are asked to sign in.
        using (var tokens = await anonymous.GetAsync("/users/anonymous/tokens"))
            AuthSteps.AssertChallenge(tokens, "anonymous token list");
        using (var issue = await anonymous.PostFormAsync("/users/admin/tokens", ("name", "anonymous")))
            AuthSteps.AssertChallenge(issue, "anonymous token issue");

        // Credentials that fail are a 401, never a silent fall-back to anonymous.
        using (var wrong = Server.ClientFor("admin", "opus_wrongwrongwrongwrongwrongwrongw"))
            Assert.Equal(HttpStatusCode.Unauthorized, await wrong.StatusOfAsync("/rest/copy"));

        var anonymousJob = await anonymous.CreateCompletedCopyJobAsync("anonymous text");
        Assert.Equal("", await anonymous.GetTextAsync($"{anonymousJob}/owner"));

        var user = AuthSteps.UniqueName("named");
        await Server.CreateUserAsync(user, "copy");
        using var client = Server.ClientFor(await Server.IssueTokenAsync(user));
        var userJob = await client.CreateCompletedCopyJobAsync("a signed-in user's text");

        // Neither sees the other's job, result or store entity.
        Assert.Equal(HttpStatusCode.NotFound, await client.StatusOfAsync(anonymousJob));
        Assert.Equal(HttpStatusCode.NotFound, await anonymous.StatusOfAsync(userJob));
        Assert.Equal(HttpStatusCode.NotFound, await anonymous.StatusOfAsync($"{userJob}/results/output"));
        Assert.Equal(HttpStatusCode.NotFound, await anonymous.StatusOfAsync($"/store/{AuthSteps.Sha256Hex("a signed-in user's text")}"));
        Assert.Equal(HttpStatusCode.NotFound, await client.StatusOfAsync($"/store/{AuthSteps.Sha256Hex("anonymous text")}"));
        Assert.Equal(HttpStatusCode.OK, await anonymous.StatusOfAsync($"/store/{AuthSteps.Sha256Hex("anonymous text")}"));
        Assert.DoesNotContain(UwsTestHelpers.JobIdOf(userJob), (await anonymous.GetJobListAsync("copy")).JobRefIds());
        Assert.DoesNotContain(UwsTestHelpers.JobIdOf(anonymousJob), (await client.GetJobListAsync("copy")).JobRefIds());
    }
}
