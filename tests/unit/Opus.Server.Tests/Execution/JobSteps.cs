using System.Diagnostics;
using System.Net;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>Bounded waits and small readers shared by the execution tests.</summary>
internal static class JobSteps
{
    public static readonly XNamespace Custom = "urn:uwscustom";

    public static string JobId(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];

    public static string JobDirectory(this OpusServer server, string jobPath) => Path.Combine(server.DataPath, "jobs", JobId(jobPath));

    public static bool IsFinal(string phase) => phase is "COMPLETED" or "ERROR" or "ABORTED" or "ARCHIVED";

    public static string? ErrorMessage(this XDocument job) =>
        job.Root!.Element(UwsSchema.Uws + "errorSummary")?.Element(UwsSchema.Uws + "message")?.Value;

    /// <summary>How long the job executed: from its startTime to its endTime.</summary>
    public static TimeSpan RanFor(this XDocument job) =>
        DateTime.Parse(job.Root!.Element(UwsSchema.Uws + "endTime")!.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal)
        - DateTime.Parse(job.Root!.Element(UwsSchema.Uws + "startTime")!.Value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);

    public static string? ParameterValue(this XDocument job, string name) =>
        job.Root!.Element(UwsSchema.Uws + "parameters")?.Elements(UwsSchema.Uws + "parameter").FirstOrDefault(p => (string?)p.Attribute("id") == name)?.Value;

    public static XElement? Result(this XDocument job, string id) =>
        job.Root!.Element(UwsSchema.Uws + "results")?.Elements(UwsSchema.Uws + "result").FirstOrDefault(r => (string?)r.Attribute("id") == id);

    /// <summary>Waits (WAIT on the phase last seen) until the job is in <paramref name="phase"/>; fails if it ends elsewhere or the time is up.</summary>
    public static async Task<XDocument> WaitForPhaseAsync(this HttpClient client, string jobPath, string phase, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var job = await client.GetXmlAsync(jobPath);
        while (job.Phase() != phase)
        {
            Assert.False(IsFinal(job.Phase()), $"{jobPath} ended {job.Phase()} before reaching {phase}: {job.ErrorMessage()}");
            Assert.True(clock.Elapsed < timeout, $"{jobPath} is still {job.Phase()} after {timeout.TotalSeconds} s, not {phase}");
            var seen = job.Phase();
            job = await client.GetXmlAsync($"{jobPath}?WAIT=1&PHASE={seen}");
            if (job.Phase() == seen)
                await Task.Delay(50);
        }

        return job;
    }

    /// <summary>Waits until the job is final; fails when it is not within <paramref name="timeout"/>.</summary>
    public static async Task<XDocument> WaitForEndAsync(this HttpClient client, string jobPath, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var job = await client.GetXmlAsync(jobPath);
        while (!IsFinal(job.Phase()))
        {
            Assert.True(clock.Elapsed < timeout, $"{jobPath} is still {job.Phase()} after {timeout.TotalSeconds} s");
            var seen = job.Phase();
            job = await client.GetXmlAsync($"{jobPath}?WAIT=1&PHASE={seen}");
            if (job.Phase() == seen)
                await Task.Delay(50);
        }

        return job;
    }

    public static async Task<byte[]> GetResultBytesAsync(this HttpClient client, string jobPath, string result)
    {
        using var response = await client.GetAsync($"{jobPath}/results/{result}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {jobPath}/results/{result}: {(int)response.StatusCode}");
        return bytes;
    }

    public static async Task<string> GetTextAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    public static async Task AbortAsync(this HttpClient client, string jobPath)
    {
        using var response = await client.PostFormAsync($"{jobPath}/phase", ("PHASE", "ABORT"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
    }

    /// <summary>The ids of a job list, read from its (validated) XML.</summary>
    public static async Task<List<string>> ListIdsAsync(this HttpClient client, string listPath)
    {
        var list = await client.GetXmlAsync(listPath);
        return list.Root!.Elements(UwsSchema.Uws + "jobref").Select(j => (string)j.Attribute("id")!).ToList();
    }
}
