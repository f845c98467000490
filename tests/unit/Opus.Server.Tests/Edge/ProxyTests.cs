using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Edge;

/// <summary>
/// Behind a reverse proxy: X-Forwarded-* believed from the configured proxies only, a path prefix, links from
/// the public URL, the sign-in lockout per (client address after the proxy, user name), and / by Accept.
/// </summary>
public sealed class ProxyTests
{
    private const string Wrong = "opus_wrongwrongwrongwrongwrongwrongw";

    [Fact]
    public async Task Behind_a_configured_proxy_links_follow_the_forwarded_scheme_and_host_under_the_prefix_and_the_lockout_counts_per_client_and_user()
    {
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Proxy:KnownProxies:0", "127.0.0.1"),
            ("Opus:PathBase", "/opus"),
            ("Opus:Auth:MaxFailures", "2"),
            ("Opus:Auth:FailureWindow", "01:00:00")));
        var proxied = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https", ["X-Forwarded-Host"] = "opus.example.org", ["X-Forwarded-For"] = "203.0.113.7" };

        // A job created under the prefix: its link is the proxy's https address with the prefix.
        using (var created = await SendAsync(server, HttpMethod.Post, "/opus/rest/copy", "admin", OpusServer.AdminToken, proxied, new FormUrlEncodedContent([new("text", "Hello, sky")])))
        {
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
            Assert.Matches("^https://opus\\.example\\.org/opus/rest/copy/[0-9a-z]{26}$", created.Headers.Location!.OriginalString);
        }

        // Two failures of (203.0.113.7, admin): that pair's next failure is refused ...
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, "admin", Wrong, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(server, "admin", Wrong, "203.0.113.7"));
        // ... while another client, another user at the same client, and the valid admin token are not.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, "admin", Wrong, "203.0.113.8"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, "alice", Wrong, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(server, "admin", OpusServer.AdminToken, "203.0.113.7"));

        // /: a browser to the web client, a UWS client to the job lists; no credentials asked for either.
        foreach (var (accept, target) in new[] { ("text/html,application/xhtml+xml,*/*;q=0.8", "/opus/client/"), ("application/xml", "/opus/rest"), ("", "/opus/rest") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/opus/");
            if (accept.Length > 0)
                request.Headers.TryAddWithoutValidation("Accept", accept);
            using var root = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
            Assert.Equal(target, root.Headers.Location!.OriginalString);
            Assert.Empty(root.Headers.WwwAuthenticate);
        }

        // The web client under the prefix.
        Assert.Equal(HttpStatusCode.OK, await server.Client.StatusOfAsync("/opus/client/"));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_unconfigured_address_are_ignored_links_follow_the_public_url_and_samples_are_not_loaded()
    {
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(
            // A proxy is configured, but it is not the test's address.
            ("Opus:Proxy:KnownProxies:0", "192.0.2.1"),
            ("Opus:PublicUrl", "https://public.example.org/base/"),
            ("Opus:LoadSamples", "false"),
            ("Opus:Auth:MaxFailures", "2"),
            ("Opus:Auth:FailureWindow", "01:00:00")));
        var forged = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "http", ["X-Forwarded-Host"] = "evil.example" };

        // Links are the public URL's, under its path, whatever the request's own address or headers say.
        foreach (var path in new[] { "/base/scim/v2/ServiceProviderConfig", "/scim/v2/ServiceProviderConfig" })
        {
            using var config = await SendAsync(server, HttpMethod.Get, path, "admin", OpusServer.AdminToken, forged);
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
            Assert.Contains("\"https://public.example.org/base/scim/v2/ServiceProviderConfig\"", await config.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // X-Forwarded-For from an address that is no configured proxy is no client address: the failures count for the socket's.
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(server, "admin", Wrong, $"203.0.113.{i + 1}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(server, "admin", Wrong, "203.0.113.9"));

        // Production without Opus:LoadSamples: no sample definitions.
        using var admin = server.AdminClient();
        Assert.Equal(HttpStatusCode.NotFound, await admin.StatusOfAsync("/rest/copy"));
        Assert.Equal("", (await admin.GetStringAsync("/rest")).Trim());
    }

    [Fact]
    public async Task A_proxy_that_strips_its_prefix_names_it_in_X_Forwarded_Prefix_believed_from_configured_proxies_only()
    {
        var stripped = new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https", ["X-Forwarded-Host"] = "portal.example.org", ["X-Forwarded-Prefix"] = "/vo/opus" };
        await using (var server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Proxy:KnownProxies:0", "127.0.0.1"))))
        {
            using var created = await SendAsync(server, HttpMethod.Post, "/rest/copy", "admin", OpusServer.AdminToken, stripped, new FormUrlEncodedContent([new("text", "Hello, sky")]));
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
            Assert.Matches("^https://portal\\.example\\.org/vo/opus/rest/copy/[0-9a-z]{26}$", created.Headers.Location!.OriginalString);
        }

        // The same headers from an address that is no configured proxy change nothing.
        await using (var server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Proxy:KnownProxies:0", "192.0.2.1"))))
        {
            using var created = await SendAsync(server, HttpMethod.Post, "/rest/copy", "admin", OpusServer.AdminToken, stripped, new FormUrlEncodedContent([new("text", "Hello, sky")]));
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
            Assert.StartsWith($"{server.Client.BaseAddress!.GetLeftPart(UriPartial.Authority)}/rest/copy/", created.Headers.Location!.OriginalString);
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(OpusServer server, string user, string token, string forwardedFor)
    {
        using var response = await SendAsync(server, HttpMethod.Get, "/opus/rest", user, token, new Dictionary<string, string> { ["X-Forwarded-For"] = forwardedFor });
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync(OpusServer server, HttpMethod method, string path, string user, string token, IDictionary<string, string> headers, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")));
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await server.Client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
