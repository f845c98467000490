using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Staging;

/// <summary>What the staging tests share: a gated definition with a file input, and the node's side of the endpoints.</summary>
public static class StagingSteps
{
    public const string GatedDefinition = "staged-gated";

    /// <summary>Waits for its gate; takes a file; its results are a report and any parts/*.bin a node sends.</summary>
    public static string GatedYaml => $$"""
        name: {{GatedDefinition}}
        version: "1"
        description: Waits for the test's gate; its parts come from uploads.
        executionDuration: 600
        parameters:
          - name: gate
            type: xs:string
            required: true
        used:
          - name: data
            contentType: application/octet-stream
            url: file://$ID
            required: true
        generated:
          - name: report
            file: report.txt
            contentType: text/plain
          - name: parts
            file: parts/*.bin
            contentType: application/octet-stream
        script: |
          {{Gate.WaitCommand("\"$gate\"")}}
          echo "gate opened" > report.txt
        """;

    public static async Task PublishAsync(OpusServer server, string name, string yaml)
    {
        using var admin = server.AdminClient();
        using var content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml");
        using var response = await admin.PutAsync($"/jdl/{name}?publish=true", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT /jdl/{name}: {(int)response.StatusCode} {body}");
    }

    /// <summary>Creates a job with one uploaded file (multipart) and the form values; returns its path.</summary>
    public static async Task<string> CreateWithUploadAsync(this HttpClient client, string definition, (string Name, string FileName, byte[] Content) upload, params (string Name, string Value)[] form)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in form)
            content.Add(new StringContent(value), name);
        content.Add(new ByteArrayContent(upload.Content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, upload.Name, upload.FileName);
        using var response = await client.PostAsync($"/rest/{definition}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"POST /rest/{definition}: {(int)response.StatusCode} {body}");
        return response.Headers.Location!.AbsolutePath;
    }

    /// <summary>The job's callback token, from its folder on the server (what its batch script carries).</summary>
    public static string TokenOf(OpusServer server, string jobPath)
    {
        const string prefix = "Authorization: Bearer ";
        var header = File.ReadAllText(Path.Combine(server.JobDirectory(jobPath), "callback.header")).Trim();
        Assert.StartsWith(prefix, header);
        return header[prefix.Length..];
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>PUT /jobs/{id}/files/{name} as a node does: the bytes, their SHA-256 header (given or right), a bearer token.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PutFileAsync(
        HttpClient client, string jobId, string encodedName, byte[] bytes, string? token, string? sha256 = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/jobs/{jobId}/files/{encodedName}") { Content = new ByteArrayContent(bytes) };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-Opus-Sha256", sha256 ?? Sha256(bytes));
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>PUT /jobs/{id}/files/{name} with "X-Opus-Sha256: pending", as a node sends a large file: the status and the upload's id (202).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PutPendingAsync(HttpClient client, string jobId, string encodedName, byte[] bytes, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/jobs/{jobId}/files/{encodedName}") { Content = new ByteArrayContent(bytes) };
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-Opus-Sha256", "pending");
        using var response = await client.SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
    }

    /// <summary>POST /jobs/{id}/files/{name}: the SHA-256 that follows an upload kept aside (X-Opus-Upload: its id).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> ConfirmAsync(HttpClient client, string jobId, string encodedName, string upload, string sha256, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/jobs/{jobId}/files/{encodedName}");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("X-Opus-Upload", upload);
        request.Headers.Add("X-Opus-Sha256", sha256);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET /jobs/{id}/bundle?root=...: the status, and the body when 200.</summary>
    public static async Task<(HttpStatusCode Status, byte[] Body, string? ContentType)> GetBundleAsync(HttpClient client, string jobId, string? root, string? token)
    {
        var query = root is null ? "" : $"?root={Uri.EscapeDataString(root)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{jobId}/bundle{query}");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), response.Content.Headers.ContentType?.MediaType);
    }
}
