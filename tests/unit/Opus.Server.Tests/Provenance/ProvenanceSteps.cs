using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Tests.Provenance;

namespace Opus.Server.Tests.Provenance;

/// <summary>
/// The job definitions of provenance.md section 9 (and a few more), written to a folder a server loads,
/// and the steps of the provenance tests. Every PROV-JSON answer read here is checked against the
/// invariants of section 8.
/// </summary>
public static class ProvenanceSteps
{
    public static readonly TimeSpan JobTimeout = Eventually.Bound;

    public static readonly Dictionary<string, string> Definitions = new()
    {
        ["test_activity_1"] = """
            name: test_activity_1
            version: "1"
            description: Job for tests, simply writes a text in a file
            type: test
            subtype: test
            executionDuration: 60
            parameters:
              - name: text
                type: xs:string
                default: Hello World
                description: Input text for test job
            generated:
              - name: output
                file: output.txt
                contentType: text/plain
                description: Output file that contains the input text
            script: |
              echo "$text" > output.txt
            """,
        ["test_activity_2"] = """
            name: test_activity_2
            version: "1"
            description: Job for tests, simply adds input text to a given file
            type: test
            subtype: test
            contactName: opus-admin
            contactEmail: admin@opus
            executionDuration: 60
            quote: 10
            parameters:
              - name: text
                type: xs:string
                default: "!"
                description: Input text for test job 2
            used:
              - name: input
                contentType: text/plain
                url: file://$ID
                required: true
                description: Input entity for test job 2
            generated:
              - name: output
                file: output.txt
                contentType: text/plain
                description: Output file that contains the input file and input text
            script: |
              cat "$input" > output.txt
              echo "$text" >> output.txt
            """,
        // Values and a URL the server does not read, as used entities.
        ["values"] = """
            name: values
            version: "1"
            description: Writes its values into a file
            executionDuration: 60
            parameters:
              - name: scale
                type: xs:double
                default: "1.5"
                min: "0"
                max: "10"
                unit: deg
                ucd: pos.angDistance
                description: A scale
            used:
              - name: band
                multiplicity: "*"
                description: Bands
              - name: catalog
                description: Where the catalog is
            generated:
              - name: output
                file: values.txt
                contentType: text/plain
            script: |
              echo "$band $catalog $scale" > values.txt
            """,
        // A script that records its own detailed provenance, as logprov does.
        ["detailed"] = """
            name: detailed
            version: "1"
            description: Writes a result and its own provenance
            executionDuration: 60
            parameters:
              - name: text
                type: xs:string
                default: detailed
            generated:
              - name: output
                file: output.txt
                contentType: text/plain
              - name: provenance
                file: internal_provenance.json
                contentType: application/json
            script: |
              echo "$text" > output.txt
              now=$(date -u +%Y-%m-%dT%H:%M:%S)
              cat > internal_provenance.json <<EOF
              {
                "prefix": {"session": "session:", "voprov": "voprov:"},
                "activity": {"session:step1": {"prov:startTime": "$now", "prov:endTime": "$now", "prov:label": "prepare", "module": "demo"}},
                "entity": {
                  "session:buffer": {"prov:label": "text buffer", "prov:value": "$text"},
                  "session:out": {"prov:location": "file://$PWD/output.txt", "prov:label": "output.txt"}
                },
                "used": {"_:u1": {"prov:activity": "session:step1", "prov:entity": "session:buffer", "prov:time": "$now"}},
                "wasGeneratedBy": {"_:g1": {"prov:entity": "session:out", "prov:activity": "session:step1", "prov:time": "$now"}},
                "wasDerivedFrom": {"_:d1": {"prov:generatedEntity": "session:out", "prov:usedEntity": "session:buffer", "prov:activity": "session:step1"}}
              }
              EOF
            """,
        ["broken"] = """
            name: broken
            version: "1"
            description: Fails on purpose
            executionDuration: 60
            script: |
              echo "failing on purpose" >&2
              exit 3
            """,
        // Long enough to kill the server while it runs.
        ["slow"] = """
            name: slow
            version: "1"
            description: Sleeps, then writes its text
            executionDuration: 60
            parameters:
              - name: text
                type: xs:string
                default: slow
              - name: seconds
                type: xs:int
                default: "2"
            generated:
              - name: output
                file: output.txt
                contentType: text/plain
            script: |
              sleep "$seconds"
              echo "$text" > output.txt
            """,
        // Like slow, but it ends when the test creates the file "gate" names (Infrastructure/Gate), not after a time.
        ["held"] = $$"""
            name: held
            version: "1"
            description: Waits for the test's gate file, then writes its text
            executionDuration: 600
            parameters:
              - name: text
                type: xs:string
                default: held
              - name: gate
                type: xs:string
                required: true
            generated:
              - name: output
                file: output.txt
                contentType: text/plain
            script: |
              {{Gate.WaitCommand("\"$gate\"")}}
              echo "$text" > output.txt
            """,
    };

    /// <summary>A folder with the definitions, for Opus:DefinitionsPath.</summary>
    public static string WriteDefinitions()
    {
        var folder = Directory.CreateTempSubdirectory("opus-prov-definitions-").FullName;
        foreach (var (name, text) in Definitions)
            File.WriteAllText(Path.Combine(folder, name + ".yaml"), text);
        // The same script, its provenance file left in the working directory rather than listed as a result.
        var unlisted = Definitions["detailed"].Replace("name: detailed", "name: detailed_unlisted", StringComparison.Ordinal)
            .Replace("  - name: provenance\n    file: internal_provenance.json\n    contentType: application/json\n", "", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "detailed_unlisted.yaml"), unlisted);
        return folder;
    }

    public static Task<OpusServer> StartServerAsync(string definitions, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>
        {
            ["Opus:DefinitionsPath"] = definitions,
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        return OpusServer.StartAsync(all);
    }

    /// <summary>A unique text, so that content never collides with another test's.</summary>
    public static string Unique(string text) => $"{text} {Guid.NewGuid():N}";

    /// <summary>Creates and runs a job (form fields), waits (bounded) until it ends COMPLETED; returns its path and document.</summary>
    public static async Task<(string Path, string Id, XDocument Job)> RunAsync(this HttpClient client, string definition, params (string Name, string Value)[] form)
    {
        var path = await client.CreateJobAsync(definition, [.. form, ("PHASE", "RUN")]);
        var job = await client.WaitForEndAsync(path, JobTimeout);
        Assert.True(job.Phase() == "COMPLETED", $"{path}: {job.Phase()} {job.ErrorMessage()}");
        return (path, JobSteps.JobId(path), job);
    }

    /// <summary>Creates and runs a job with files uploaded (multipart/form-data), waits until it is COMPLETED.</summary>
    public static async Task<(string Path, string Id, XDocument Job)> RunWithUploadAsync(
        this HttpClient client, string definition, (string Name, string FileName, byte[] Content) upload, params (string Name, string Value)[] form)
    {
        using var content = new MultipartFormDataContent();
        foreach (var (name, value) in form.Append(("PHASE", "RUN")))
            content.Add(new StringContent(value), name);
        content.Add(new ByteArrayContent(upload.Content) { Headers = { ContentType = new MediaTypeHeaderValue("text/plain") } }, upload.Name, upload.FileName);
        using var response = await client.PostAsync($"/rest/{definition}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.SeeOther, $"POST /rest/{definition}: {(int)response.StatusCode} {body}");
        var path = response.Headers.Location!.AbsolutePath;
        var job = await client.WaitForEndAsync(path, JobTimeout);
        Assert.True(job.Phase() == "COMPLETED", $"{path}: {job.Phase()} {job.ErrorMessage()}");
        return (path, JobSteps.JobId(path), job);
    }

    public static string Sha256Of(this XDocument job, string result) =>
        (string?)job.Result(result)?.Attribute(JobSteps.Custom + "sha256") ?? throw new Xunit.Sdk.XunitException($"no result {result}:\n{job}");

    public static DateTimeOffset TimeOf(this XDocument job, string name) =>
        DateTimeOffset.Parse(job.Root!.Element(UwsSchema.Uws + name)!.Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>GET /provsap?QUERY as PROV-JSON: 200, application/json, and every invariant of section 8 holds.</summary>
    public static async Task<JsonObject> ProvJsonAsync(this HttpClient client, string query)
    {
        var path = query.StartsWith('/') ? query : $"/provsap?{query}";
        path += (path.Contains('?') ? "&" : "?") + "RESPONSEFORMAT=PROV-JSON";
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        ProvInvariants.AssertValid(text).Dispose();
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<(HttpStatusCode Status, string Body)> GetStatusAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static IReadOnlyList<string> Keys(this JsonObject document, string kind) =>
        document[kind] is JsonObject section ? section.Select(p => p.Key).Order(StringComparer.Ordinal).ToList() : [];

    public static JsonObject Record(this JsonObject document, string kind, string id) =>
        document[kind]?[id]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no {kind} {id} in\n{document.ToJsonString()}");

    public static IEnumerable<JsonObject> Relations(this JsonObject document, string kind) =>
        document[kind] is JsonObject section ? section.Select(p => p.Value!.AsObject()) : [];

    public static string? Text(this JsonObject record, string name) => record[name] switch
    {
        JsonObject typed => (string?)typed["$"],
        JsonValue value => (string?)value,
        _ => null,
    };

    public static string Job(string definition, string id) => $"opus_job:{definition}/{id}";

    public static string Store(string sha) => $"opus_store:{sha}";

    /// <summary>The data entities (files and values): not parameters nor descriptions.</summary>
    public static IReadOnlyList<string> DataEntities(this JsonObject document) =>
        document["entity"] is JsonObject section
            ? section.Where(p => p.Value!.AsObject().Text("prov:type") is null or "voprov:ValueEntity").Select(p => p.Key).Order(StringComparer.Ordinal).ToList()
            : [];
}
