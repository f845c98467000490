using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Data.Sqlite;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Uws;

/// <summary>Assertions and steps shared by the UWS conformance tests. Every XML document read here is schema-validated.</summary>
public static partial class UwsTestHelpers
{
    public const string XmlMediaType = "application/xml";
    public const string TextMediaType = "text/plain";

    public static readonly string[] FinalPhases = ["COMPLETED", "ERROR", "ABORTED", "ARCHIVED"];

    public static XName U(string localName) => UwsSchema.Uws + localName;

    public static string JobIdOf(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];

    public static XElement Child(this XDocument document, string localName) =>
        document.Root!.Element(U(localName)) ?? throw new Xunit.Sdk.XunitException($"<uws:{localName}> is missing:\n{document}");

    public static bool IsNil(this XElement element) => (string?)element.Attribute(UwsSchema.Xsi + "nil") == "true";

    /// <summary>GETs a UWS document; asserts 200, an XML media type and validity against UWS-v1.1.xsd.</summary>
    public static async Task<XDocument> GetDocumentAsync(this HttpClient client, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
            request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal(XmlMediaType, response.Content.Headers.ContentType?.MediaType);
        return UwsSchema.Validate(body);
    }

    public const string ProblemMediaType = "application/problem+json";

    /// <summary>Opus's own JSON APIs answer errors as problem details; UWS, ProvSAP, the store and the callback in plain text.</summary>
    public static bool AnswersProblems(Uri? uri) =>
        uri is not null && (uri.AbsolutePath.StartsWith("/jdl", StringComparison.Ordinal) || uri.AbsolutePath.StartsWith("/users/", StringComparison.Ordinal)
            || uri.AbsolutePath is "/me" or "/jobs" or "/status");

    /// <summary>The one-line message of an error answer, of the kind its route promises (plain text, or problem details' detail).</summary>
    public static string MessageOf(HttpResponseMessage response, string body)
    {
        if (!AnswersProblems(response.RequestMessage?.RequestUri))
        {
            Assert.Equal(TextMediaType, response.Content.Headers.ContentType?.MediaType);
            return body.TrimEnd('\r', '\n');
        }

        Assert.Equal(ProblemMediaType, response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.Equal((int)response.StatusCode, problem["status"]!.GetValue<int>());
        return problem["detail"]!.GetValue<string>();
    }

    /// <summary>GETs an atomic value; asserts 200 and text/plain.</summary>
    public static async Task<string> GetTextAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        Assert.Equal(TextMediaType, response.Content.Headers.ContentType?.MediaType);
        return body;
    }

    /// <summary>
    /// Asserts a refusal: the status, a one-line message mentioning each of <paramref name="mentions"/>: text/plain,
    /// or on Opus's own JSON APIs (<see cref="AnswersProblems"/>) the "detail" of problem details.
    /// </summary>
    public static async Task<string> AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode expected, params string[] mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        var message = MessageOf(response, body);
        Assert.False(string.IsNullOrWhiteSpace(message), "the refusal has no message");
        Assert.DoesNotContain('\n', message);
        foreach (var mention in mentions)
            Assert.Contains(mention, message, StringComparison.OrdinalIgnoreCase);
        return message;
    }

    /// <summary>Asserts a 303 whose Location is an absolute URL on this server with the given path; returns the Location.</summary>
    public static Uri AssertSeeOther(HttpResponseMessage response, HttpClient client, string expectedPath)
    {
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected 303, got {(int)response.StatusCode}");
        var location = response.Headers.Location ?? throw new Xunit.Sdk.XunitException("303 without Location");
        Assert.True(location.IsAbsoluteUri, $"Location '{location}' is not absolute");
        Assert.Equal(client.BaseAddress!.GetLeftPart(UriPartial.Authority), location.GetLeftPart(UriPartial.Authority));
        Assert.Equal(expectedPath, location.AbsolutePath);
        return location;
    }

    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string path, IEnumerable<KeyValuePair<string, string>> form) =>
        await client.PostAsync(path, new FormUrlEncodedContent(form));

    public static async Task<HttpResponseMessage> PutTextAsync(this HttpClient client, string path, string body) =>
        await client.PutAsync(path, new StringContent(body, System.Text.Encoding.UTF8, new MediaTypeHeaderValue(TextMediaType)));

    /// <summary>Polls with short WAITs until the phase satisfies <paramref name="reached"/>; fails after <paramref name="timeout"/>.</summary>
    public static async Task<XDocument> WaitForPhaseAsync(this HttpClient client, string jobPath, Func<string, bool> reached, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = await client.GetDocumentAsync($"{jobPath}?WAIT=1");
            if (reached(job.Phase()))
                return job;
            if (clock.Elapsed > timeout)
                throw new Xunit.Sdk.XunitException($"{jobPath} still {job.Phase()} after {timeout.TotalSeconds} s");
        }
    }

    public static Task<XDocument> WaitForFinalPhaseAsync(this HttpClient client, string jobPath, double? seconds = null) =>
        client.WaitForPhaseAsync(jobPath, phase => FinalPhases.Contains(phase), seconds is { } s ? TimeSpan.FromSeconds(s) : Eventually.Bound);

    /// <summary>Creates a copy job, runs it and waits until it is COMPLETED.</summary>
    public static async Task<string> CreateCompletedCopyJobAsync(this HttpClient client, string text = "copied text")
    {
        var job = await client.CreateJobAsync("copy", ("text", text), ("PHASE", "RUN"));
        var done = await client.WaitForFinalPhaseAsync(job);
        Assert.Equal("COMPLETED", done.Phase());
        return job;
    }

    /// <summary>Creates a sleep job with PHASE=RUN and waits until it is EXECUTING (give it far more seconds than the test needs it running).</summary>
    public static async Task<string> StartSleepJobAsync(this HttpClient client, int seconds, params (string Name, string Value)[] more)
    {
        var job = await client.CreateJobAsync("sleep", [("seconds", seconds.ToString(CultureInfo.InvariantCulture)), ("PHASE", "RUN"), .. more]);
        var running = await client.WaitForPhaseAsync(job, phase => phase is not ("PENDING" or "QUEUED"), Eventually.Bound);
        Assert.Equal("EXECUTING", running.Phase());
        return job;
    }

    /// <summary>Cleanup: destroys the job whatever its phase (a running one is stopped); a job already gone is fine.</summary>
    public static async Task DestroyQuietlyAsync(this HttpClient client, string jobPath)
    {
        using var response = await client.DeleteAsync(jobPath);
        Assert.True(response.StatusCode is HttpStatusCode.SeeOther or HttpStatusCode.NotFound, $"DELETE {jobPath}: {(int)response.StatusCode}");
    }

    /// <summary>The job list with the given query (without '?'); validated.</summary>
    public static Task<XDocument> GetJobListAsync(this HttpClient client, string definition, string query = "") =>
        client.GetDocumentAsync(query.Length == 0 ? $"/rest/{definition}" : $"/rest/{definition}?{query}");

    public static List<XElement> JobRefs(this XDocument list) => list.Root!.Elements(U("jobref")).ToList();

    public static List<string> JobRefIds(this XDocument list) => list.JobRefs().Select(j => (string)j.Attribute("id")!).ToList();

    /// <summary>Ids of the listed jobs whose runId is <paramref name="runId"/>.</summary>
    public static async Task<List<string>> JobsWithRunIdAsync(this HttpClient client, string definition, string runId) =>
        (await client.GetJobListAsync(definition)).JobRefs()
            .Where(j => j.Element(U("runId"))?.Value == runId)
            .Select(j => (string)j.Attribute("id")!)
            .ToList();

    /// <summary>Asserts the UWS time form (ISO 8601, 'T', UTC with 'Z') and returns the instant as UTC.</summary>
    public static DateTime ParseUtc(string text)
    {
        Assert.Matches(UtcInstant(), text);
        return DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    public static DateTime TimeOf(this XDocument job, string element) => ParseUtc(job.Child(element).Value);

    public static string FormatUtc(DateTime instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A value unique to one test run, for run ids and messages.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>
    /// Puts a job into a phase no client request leads to (ARCHIVED) by writing the server's own
    /// database, as a server-side archiving policy would.
    /// </summary>
    public static async Task SetPhaseInDatabaseAsync(OpusServer server, string jobId, string phase)
    {
        // SQLite or PostgreSQL, whichever the server uses: quoted names and @parameters suit both.
        await using var db = await TestPostgres.OpenDatabaseAsync(server);
        await using var command = db.CreateCommand();
        command.CommandText = "UPDATE jobs SET \"Phase\" = @phase WHERE \"Id\" = @id";
        AddParameter(command, "phase", phase);
        AddParameter(command, "id", jobId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public static void AddParameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")]
    private static partial Regex UtcInstant();
}
