using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Opus.Core.Jobs;
using Opus.Core.Uws;

namespace Opus.Bench;

/// <summary>What the bench reads from a job document.</summary>
public sealed record JobView(string Id, JobPhase Phase, DateTime CreationTime, DateTime? StartTime, DateTime? EndTime);

/// <summary>The few UWS requests the bench makes.</summary>
public static class Uws
{
    private static readonly XNamespace Ns = UwsXml.Namespace;

    /// <summary>POST /rest/{definition}; the new job's id when the answer is 303, else null.</summary>
    public static async Task<string?> CreateAsync(HttpClient client, string definition, IEnumerable<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await client.PostAsync($"/rest/{definition}", content, cancellationToken);
        return response.StatusCode == HttpStatusCode.SeeOther && response.Headers.Location is { } location
            ? location.OriginalString[(location.OriginalString.LastIndexOf('/') + 1)..]
            : null;
    }

    /// <summary>POST /rest/{definition}/{id}/phase PHASE=RUN; true on 303.</summary>
    public static async Task<bool> RunAsync(HttpClient client, string definition, string id, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent([new("PHASE", "RUN")]);
        using var response = await client.PostAsync($"/rest/{definition}/{id}/phase", content, cancellationToken);
        return response.StatusCode == HttpStatusCode.SeeOther;
    }

    public static async Task<JobView> GetAsync(HttpClient client, string definition, string id, string query, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/rest/{definition}/{id}{query}", cancellationToken);
        response.EnsureSuccessStatusCode();
        return ParseJob(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>
    /// Blocks in WAIT=30&amp;PHASE=(the phase last seen) until the job leaves the active phases or
    /// <paramref name="limit"/> passes; returns the final document and when it arrived (UTC).
    /// </summary>
    public static async Task<(JobView Job, DateTime Arrived)> WaitUntilFinalAsync(
        HttpClient client, string definition, string id, JobPhase seen, TimeSpan limit, CancellationToken cancellationToken,
        Func<JobPhase, bool>? stopAt = null)
    {
        stopAt ??= phase => phase.IsFinal();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = await GetAsync(client, definition, id, $"?WAIT=30&PHASE={seen}", cancellationToken);
            var arrived = DateTime.UtcNow;
            if (stopAt(job.Phase) || clock.Elapsed > limit)
                return (job, arrived);
            seen = job.Phase;
        }
    }

    public static JobView ParseJob(string xml)
    {
        var job = XDocument.Parse(xml).Root ?? throw new InvalidDataException("empty job document");
        string? Text(string name) => job.Element(Ns + name) is { } e && !string.IsNullOrEmpty(e.Value) ? e.Value : null;
        DateTime? Time(string name) => Text(name) is { } t
            ? DateTime.Parse(t, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;
        return new JobView(
            Text("jobId") ?? "",
            JobPhases.Parse(Text("phase")) ?? JobPhase.UNKNOWN,
            Time("creationTime") ?? default,
            Time("startTime"),
            Time("endTime"));
    }
}
