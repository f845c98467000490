using System.Net;
using System.Xml.Linq;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>Small helpers over a server's HttpClient for the common UWS steps.</summary>
public static class UwsClient
{
    /// <summary>POSTs a creation form; asserts the 303 and returns the job URL path (e.g. /rest/copy/abc).</summary>
    public static async Task<string> CreateJobAsync(this HttpClient client, string definition, params (string Name, string Value)[] form)
    {
        using var response = await client.PostAsync($"/rest/{definition}", new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"expected 303, got {(int)response.StatusCode}: {body}");
        return response.Headers.Location!.AbsolutePath;
    }

    /// <summary>GETs a UWS document, asserts 200 and schema validity.</summary>
    public static async Task<XDocument> GetXmlAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return UwsSchema.Validate(body);
    }

    public static string Phase(this XDocument job) => job.Root!.Element(UwsSchema.Uws + "phase")!.Value;

    /// <summary>Blocks with WAIT until the job leaves its current phase(s) or is final; bounded by <paramref name="timeout"/>.</summary>
    public static async Task<XDocument> WaitForFinalAsync(this HttpClient client, string jobPath, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Eventually.Bound);
        while (true)
        {
            var job = await client.GetXmlAsync($"{jobPath}?WAIT=10");
            var phase = job.Phase();
            if (phase is "COMPLETED" or "ERROR" or "ABORTED" or "ARCHIVED" || DateTime.UtcNow > deadline)
                return job;
        }
    }

    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, params (string Name, string Value)[] form) =>
        await client.PostAsync(path, new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))));
}
