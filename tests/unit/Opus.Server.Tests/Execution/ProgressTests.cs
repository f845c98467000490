using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Staging;

namespace Opus.Server.Tests.Execution;

/// <summary>
/// A script's opus_progress reaches the event stream ("progress" events) and the job document (jobInfo), its
/// message verbatim (never run by a shell) and cut to 200 characters; reports are coalesced to about one a
/// second however many are made.
/// </summary>
public sealed class ProgressTests
{
    private const string Definition = "progress";

    // The label is a parameter: shell syntax in it must come back as text.
    private const string Label = "it's \"$HOME\" $(touch pwned) `touch pwned2` ; | & \\ end";

    private static readonly string Yaml = $$"""
        name: {{Definition}}
        version: "1"
        description: Reports progress, waits for the test, then reports 10,000 times in a loop.
        executionDuration: 600
        parameters:
          - name: label
            type: xs:string
            required: true
          - name: gate
            type: xs:string
            required: true
        script: |
          opus_progress 30 "$label"
          echo "before the gate"
          {{Gate.WaitCommand("\"$gate\"")}}
          for i in $(seq 10000); do opus_progress $((i / 100)) "step $i"; done
          opus_progress 100 "all 10000 steps"
          echo "after the loop"
        """;

    [Fact]
    public async Task A_scripts_progress_reaches_the_event_stream_and_the_job_document_coalesced()
    {
        await using var server = await OpusServer.StartAsync();
        await StagingSteps.PublishAsync(server, Definition, Yaml);
        var client = server.Client;
        await using var events = await ProgressStream.OpenAsync(server.Client, Definition);
        using var gate = new Gate();

        var job = await client.CreateJobAsync(Definition, ("label", Label), ("gate", gate.FilePath), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var first = await events.WaitForAsync(id, p => p.Percent == 30, "the first report on the event stream");
        Assert.Equal(Label, first.Message);
        var document = await client.GetXmlAsync(job);
        Assert.Equal("EXECUTING", document.Phase());
        Assert.Equal((30, Label), ProgressOf(document));

        // Straight to the callback with the job's token, as a script could: 300 reports, a few written.
        var token = File.ReadAllText(Path.Combine(server.JobDirectory(job), "callback.header")).Trim()["Authorization: Bearer ".Length..];
        var before = events.Count(id);
        var started = DateTime.UtcNow;
        var longMessage = "direct 300 " + new string('x', 300);
        for (var i = 1; i <= 300; i++)
        {
            using var response = await PostEventAsync(client, id, $"{Epoch()} PROGRESS 50 {(i == 300 ? longMessage : $"direct {i}")}", token);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        var last = await events.WaitForAsync(id, p => p.Message.StartsWith("direct 300", StringComparison.Ordinal), "the last direct report");
        var written = events.Count(id) - before;
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        Assert.Equal(longMessage[..200], last.Message);
        Assert.True(written <= Math.Ceiling(seconds) + 2, $"{written} writes for 300 reports in {seconds:0.0} s");
        Assert.Equal((50, longMessage[..200]), ProgressOf(await client.GetXmlAsync(job)));

        // A report that is not one is refused with a one-line message, and changes nothing.
        foreach (var bad in new[] { $"{Epoch()} PROGRESS fifty", $"{Epoch()} PROGRESS -5 x", $"{Epoch()} PROGRESSING 5" })
        {
            using var refused = await PostEventAsync(client, id, bad, token);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)refused.StatusCode} {body}");
            Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        }

        // The script's loop: 10,000 calls, about one write a second.
        before = events.Count(id);
        started = DateTime.UtcNow;
        gate.Open();
        var done = await events.WaitForAsync(id, p => p.Percent == 100, "the loop's last report");
        written = events.Count(id) - before;
        seconds = (DateTime.UtcNow - started).TotalSeconds;
        Assert.Equal("all 10000 steps", done.Message);
        Assert.True(written <= Math.Ceiling(seconds) + 2, $"{written} writes for 10,000 calls in {seconds:0.0} s");

        var ended = await client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(ended.Phase() == "COMPLETED", $"{ended.Phase()}: {ended.ErrorMessage()}");
        await Eventually.HoldsAsync(async () => ProgressOf(await client.GetXmlAsync(job)), p => p == (100, "all 10000 steps"), "the last progress kept with the ended job");
        Assert.False(File.Exists(Path.Combine(server.JobDirectory(job), "work", "pwned")), "the label was run by a shell");
        Assert.False(File.Exists(Path.Combine(server.JobDirectory(job), "work", "pwned2")), "the label was run by a shell");
    }

    [Fact]
    public async Task A_job_that_reports_nothing_has_no_progress_in_its_document()
    {
        await using var server = await OpusServer.StartAsync();
        var job = await server.Client.CreateJobAsync("copy", ("text", "no progress"), ("PHASE", "RUN"));
        var done = await server.Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.Equal("COMPLETED", done.Phase());
        Assert.Null(ProgressOf(done));
    }

    /// <summary>The opus:progress of the document's jobInfo, or null.</summary>
    public static (int Percent, string Message)? ProgressOf(XDocument job) =>
        job.Root!.Element(UwsSchema.Uws + "jobInfo")?.Element(JobSteps.Custom + "progress") is { } progress
            ? (int.Parse((string)progress.Attribute("percent")!, CultureInfo.InvariantCulture), progress.Value)
            : null;

    private static string Epoch() => (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);

    private static async Task<HttpResponseMessage> PostEventAsync(HttpClient client, string jobId, string report, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/handler/job_event")
        {
            Content = new FormUrlEncodedContent([new("job", jobId), new("event", report)]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}

/// <summary>The "progress" events of GET /events, as they arrive.</summary>
public sealed class ProgressStream : IAsyncDisposable
{
    public sealed record Report(string Id, int Percent, string Message);

    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Report> _reports = [];
    private Task _reading = Task.CompletedTask;

    private ProgressStream(HttpResponseMessage response) => _response = response;

    public static async Task<ProgressStream> OpenAsync(HttpClient client, string definition)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/events?definition={Uri.EscapeDataString(definition)}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = new ProgressStream(response);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        using var opening = new CancellationTokenSource(Eventually.Bound);
        Assert.Equal("event: ready", await reader.ReadLineAsync(opening.Token));
        stream._reading = Task.Run(() => stream.ReadAsync(reader));
        return stream;
    }

    private async Task ReadAsync(StreamReader reader)
    {
        var type = "";
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                    type = line["event: ".Length..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "progress")
                {
                    var data = JsonDocument.Parse(line["data: ".Length..]).RootElement;
                    lock (_reports)
                        _reports.Add(new Report(data.GetProperty("id").GetString()!, data.GetProperty("percent").GetInt32(), data.GetProperty("message").GetString()!));
                }
                else if (line.Length == 0)
                    type = "";
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }

    public int Count(string id)
    {
        lock (_reports)
            return _reports.Count(r => r.Id == id);
    }

    public async Task<Report> WaitForAsync(string id, Func<Report, bool> wanted, string what)
    {
        var found = await Eventually.HoldsAsync(() =>
        {
            lock (_reports)
                return Task.FromResult(_reports.LastOrDefault(r => r.Id == id && wanted(r)));
        }, r => r is not null, what);
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _stop.Dispose();
    }
}
