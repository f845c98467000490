using System.Net;
using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Robustness;

/// <summary>What every answer of issue 13's checks must be: headers, one-line refusals, a log without stack traces.</summary>
public static class RobustnessSteps
{
    /// <summary>The headers the README promises on every answer: a sandboxing Content-Security-Policy and nosniff.</summary>
    public static void AssertSecurityHeaders(HttpResponseMessage response, bool sandbox = true)
    {
        var what = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} ({(int)response.StatusCode})";
        Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff), $"{what}: no X-Content-Type-Options");
        Assert.Equal("nosniff", nosniff.Single());
        Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var policy), $"{what}: no Content-Security-Policy");
        if (sandbox)
            Assert.True(policy.Single().StartsWith("sandbox", StringComparison.Ordinal), $"{what}: {policy.Single()}");
    }

    /// <summary>Asserts a refusal with a one-line message (plain, or problem details' detail on the JSON APIs) (no .NET type, no stack trace) and the security headers; returns the message.</summary>
    public static async Task<string> AssertOneLineAsync(HttpResponseMessage response, HttpStatusCode expected, params string[] mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        var what = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}";
        Assert.True(response.StatusCode == expected, $"{what}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        var message = Uws.UwsTestHelpers.MessageOf(response, body);
        Assert.False(string.IsNullOrWhiteSpace(message), $"{what}: no message");
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("Exception", message);
        Assert.DoesNotContain("System.", message);
        foreach (var mention in mentions)
            Assert.True(message.Contains(mention, StringComparison.OrdinalIgnoreCase), $"{what}: '{message}' does not mention '{mention}'");
        AssertSecurityHeaders(response);
        return message;
    }

    /// <summary>The part of the server's log written since <paramref name="offset"/> holds no unhandled error and no stack trace.</summary>
    public static void AssertNoStackTraceSince(OpusServer server, int offset)
    {
        var log = server.Log[Math.Min(offset, server.Log.Length)..];
        Assert.DoesNotContain("Unhandled error", log);
        Assert.DoesNotContain("\n   at ", log);
        Assert.DoesNotContain("fail: Microsoft.AspNetCore", log);
    }

    /// <summary>A body with exactly the bytes given and the Content-Type given verbatim (no HttpClient normalization).</summary>
    public static ByteArrayContent RawContent(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    /// <summary>The bodies a client may get wrong: cut short, without a boundary, in a charset .NET refuses.</summary>
    public static IEnumerable<(string Kind, Func<HttpContent> Body, string Mention)> MalformedForms()
    {
        yield return ("multipart without its closing boundary", () => RawContent(
            "--opusboundary\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\ncut sh", "multipart/form-data; boundary=opusboundary"), "form");
        yield return ("multipart without a boundary", () => RawContent(
            "--opusboundary\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nx\r\n--opusboundary--\r\n", "multipart/form-data"), "boundary");
        yield return ("multipart with a boundary over 70 characters", () => RawContent(
            "--x\r\n", $"multipart/form-data; boundary={new string('b', 200)}"), "boundary");
        yield return ("a form in UTF-7", () => RawContent("text=%2BAGEAYgBj-", "application/x-www-form-urlencoded; charset=utf-7"), "utf-7");
        // (A charset on multipart/form-data itself means nothing, RFC 7578 4.6: its parts are read as UTF-8.)
    }
}
