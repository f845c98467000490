using System.Net;
using System.Net.Http.Headers;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Vo;

/// <summary>CORS: listed origins only, with credentials; preflights answered before authentication.</summary>
public sealed class CorsTests(VoFixture fixture) : IClassFixture<VoFixture>
{
    private OpusServer Server => fixture.Server;

    private static HttpRequestMessage Preflight(string path, string origin, string method, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    private static string[] AccessControlHeaders(HttpResponseMessage response) =>
        response.Headers.Concat(response.Content.Headers).Select(h => h.Key).Where(k => k.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).ToArray();

    private static string Header(HttpResponseMessage response, string name) => string.Join(",", response.Headers.GetValues(name));

    [Fact]
    public async Task A_listed_origins_preflight_is_allowed_without_credentials()
    {
        using var anybody = new HttpClient { BaseAddress = Server.BaseUri };

        using var response = await anybody.SendAsync(Preflight("/rest/copy", fixture.PortalOrigin, "POST", "authorization,content-type"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(fixture.PortalOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains("POST", Header(response, "Access-Control-Allow-Methods").Split(','));
        var allowed = Header(response, "Access-Control-Allow-Headers").ToLowerInvariant();
        Assert.Contains("authorization", allowed);
        Assert.Contains("content-type", allowed);
    }

    [Fact]
    public async Task Another_origins_preflight_gets_no_access_control_header()
    {
        using var anybody = new HttpClient { BaseAddress = Server.BaseUri };
        var stranger = $"http://127.0.0.1:{OpusServer.FreePort()}";

        using var response = await anybody.SendAsync(Preflight("/rest/copy", stranger, "POST", "authorization"));

        Assert.Empty(AccessControlHeaders(response));
    }

    [Fact]
    public async Task A_method_or_header_not_configured_is_not_allowed()
    {
        using var anybody = new HttpClient { BaseAddress = Server.BaseUri };

        using var method = await anybody.SendAsync(Preflight("/rest/copy", fixture.PortalOrigin, "PATCH", "authorization"));
        using var header = await anybody.SendAsync(Preflight("/rest/copy", fixture.PortalOrigin, "GET", "x-not-configured"));

        // The browser compares the lists with what it asked for and refuses the request itself.
        Assert.DoesNotContain("PATCH", Header(method, "Access-Control-Allow-Methods").Split(','));
        Assert.DoesNotContain("x-not-configured", Header(header, "Access-Control-Allow-Headers").ToLowerInvariant().Split(','));
    }

    [Fact]
    public async Task An_actual_request_with_a_token_carries_the_headers_for_a_listed_origin_only()
    {
        using var client = new HttpClient { BaseAddress = Server.BaseUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Owner.Secret);

        using var listed = new HttpRequestMessage(HttpMethod.Get, "/rest/copy");
        listed.Headers.Add("Origin", fixture.PortalOrigin);
        using var fromPortal = await client.SendAsync(listed);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/rest/copy");
        other.Headers.Add("Origin", "http://portal.invalid");
        using var fromStranger = await client.SendAsync(other);

        Assert.Equal(HttpStatusCode.OK, fromPortal.StatusCode);
        Assert.Equal(fixture.PortalOrigin, Header(fromPortal, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(fromPortal, "Access-Control-Allow-Credentials"));
        Assert.Contains("Location", Header(fromPortal, "Access-Control-Expose-Headers"));
        Assert.Equal(HttpStatusCode.OK, fromStranger.StatusCode);
        Assert.Empty(AccessControlHeaders(fromStranger));
    }
}

/// <summary>Without Opus:Cors:Origins, nobody gets an Access-Control-* header.</summary>
[Collection(ServerCollection.Name)]
public sealed class CorsDefaultTests(ServerFixture fixture)
{
    [Fact]
    public async Task No_origin_is_allowed_by_default()
    {
        using var anybody = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/rest/copy");
        preflight.Headers.Add("Origin", "http://127.0.0.1:9");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        using var get = new HttpRequestMessage(HttpMethod.Get, "/rest/copy");
        get.Headers.Add("Origin", "http://127.0.0.1:9");

        using var preflightAnswer = await anybody.SendAsync(preflight);
        using var getAnswer = await anybody.SendAsync(get);

        Assert.Equal(HttpStatusCode.OK, getAnswer.StatusCode);
        foreach (var response in new[] { preflightAnswer, getAnswer })
            Assert.DoesNotContain(response.Headers.Concat(response.Content.Headers), h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }
}
