using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Core.Jobs;

namespace Opus.Client;

/// <summary>The transport every area shares: one HttpClient, the server's errors as Core's exceptions, JSON answers.</summary>
public sealed partial class RemoteOpusSession
{
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new OpusSessionException($"cannot reach {Target}: {e.Message}", null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpusSessionException($"{Target} did not answer {method} /{path} within {_http.Timeout.TotalSeconds:0} s", null, e);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.SeeOther)
            return response;
        using (response)
            throw await ErrorFromAsync(response, method, path, cancellationToken);
    }

    private Task<HttpResponseMessage> SendFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(fields), cancellationToken);

    private Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, JsonObject document, CancellationToken cancellationToken) =>
        SendAsync(method, path, new StringContent(document.ToJsonString(), Encoding.UTF8, "application/scim+json"), cancellationToken);

    /// <summary>The server's one-line message (plain text, or a SCIM error's detail) as Core's exception for the status.</summary>
    private static async Task<Exception> ErrorFromAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var text = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                text = (string?)JsonNode.Parse(text)?["detail"] ?? text;
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        var message = text.Length == 0 ? $"{(int)response.StatusCode} {response.ReasonPhrase} on {method} /{path}" : text.ReplaceLineEndings(" ");
        return (int)response.StatusCode switch
        {
            400 => new OpusValidationException(message),
            401 => new OpusSessionException($"the server asks for credentials, or refused them: {message}", 401),
            403 => new OpusStateException(message),
            404 => new OpusNotFoundException(message),
            409 => new OpusConflictException(message),
            var status => new OpusSessionException($"the server answered {status}: {message}", status),
        };
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new OpusSessionException("the server's answer is not a JSON object", (int)response.StatusCode);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new OpusSessionException($"the server's answer is not JSON: {e.Message}", (int)response.StatusCode, e);
        }
    }

    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new OpusSessionException($"unexpected answer: {e.Message}", null, e);
        }
    }
}
