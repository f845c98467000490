using System.Net;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Auth;

/// <summary>
/// Failed sign-ins are limited per client address and user name: after MaxFailures in the window, failing
/// attempts get 429, while a credential that proves valid is still accepted.
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task After_max_failures_failing_attempts_are_429_until_the_window_ends_and_valid_credentials_still_work()
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

        // Valid credentials are never refused because of failures, whoever made them.
        Assert.Equal(HttpStatusCode.OK, await admin.StatusOfAsync("/rest"));
        Assert.Equal(HttpStatusCode.OK, await adminBearer.StatusOfAsync("/rest"));
        using var wrongBearer = server.BearerClient("opus_wrongwrongwrongwrongwrongwrongw");
        using (var blocked = await wrong.GetAsync("/rest"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
            var retryAfter = blocked.Headers.RetryAfter?.Delta ?? throw new Xunit.Sdk.XunitException("429 without Retry-After in seconds");
            Assert.InRange(retryAfter.TotalSeconds, 1, 10);
            Assert.Contains("too many", await blocked.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
            // The security headers are on every answer, a refusal of authentication too.
            Robustness.RobustnessSteps.AssertSecurityHeaders(blocked);
        }

        // The health probe needs no credentials and stays up for everyone.
        Assert.Equal(HttpStatusCode.OK, await server.Client.StatusOfAsync("/health"));

        // A bearer token names no user: its failures are counted apart from the admin's Basic ones.
        Assert.Equal(HttpStatusCode.Unauthorized, await wrongBearer.StatusOfAsync("/rest"));

        // When the window has passed, a wrong credential is a plain 401 again. The window is time itself, so the
        // test lets it pass; the server counts it from the first failure it saw, a little after the clock started.
        var left = TimeSpan.FromSeconds(10) - clock.Elapsed;
        if (left > TimeSpan.Zero)
            await Task.Delay(left);
        await Eventually.HoldsAsync(() => wrong.StatusOfAsync("/rest"), status => status == HttpStatusCode.Unauthorized, "a wrong credential answered 401 after the window");
    }
}
