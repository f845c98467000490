using System.Net;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>Failed sign-ins are limited per client address: after MaxFailures in the window, even a good token gets 429.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task After_max_failures_every_attempt_from_the_address_is_429_until_the_window_ends()
    {
        const int maxFailures = 3;
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Auth:MaxFailures", maxFailures.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            // Long enough for the six requests below on a machine whose load average is 10.
            ("Opus:Auth:FailureWindow", "00:00:10")));
        using var admin = server.AdminClient();
        using var adminBearer = server.BearerClient(OpusServer.AdminToken);
        using var wrong = server.ClientFor("admin", "opus_wrongwrongwrongwrongwrongwrongw");

        // Successes and requests without credentials are no failures.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await admin.StatusOfAsync("/rest"));
            Assert.Equal(HttpStatusCode.Unauthorized, await server.Client.StatusOfAsync("/rest"));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < maxFailures; i++)
        {
            using var failed = await wrong.GetAsync("/rest");
            AuthSteps.AssertChallenge(failed, $"failure {i + 1}");
        }

        foreach (var client in new[] { admin, adminBearer, wrong })
        {
            using var blocked = await client.GetAsync("/rest");
            Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
            var retryAfter = blocked.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("429 without Retry-After in seconds");
            Assert.InRange(retryAfter.TotalSeconds, 1, 10);
            Assert.Contains("too many", await blocked.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            // The security headers are on every answer, a refusal of authentication too.
            Robustness.RobustnessSteps.AssertSecurityHeaders(blocked);
        }

        // The health probe needs no credentials and stays up for everyone.
        Assert.Equal(HttpStatusCode.OK, await server.Client.StatusOfAsync("/health"));

        // When the window has passed, the good token works again. The window is time itself, so the test lets
        // it pass; the server counts it from the first failure it saw, a little after the clock started.
        var left = TimeSpan.FromSeconds(10) - clock.Elapsed;
        if (left > TimeSpan.Zero)
            await Task.Delay(left);
        await Eventually.HoldsAsync(() => admin.StatusOfAsync("/rest"), status => status == HttpStatusCode.OK, "the good token accepted after the window");
    }
}
