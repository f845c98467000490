using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Opus.Core.Jobs;
using Opus.Core.Uws;

namespace Opus.Bench;

/// <summary>
/// ProvSAP on a long chain: N jobs, each using the previous one's result (by its store digest), run
/// one after the other through the real server; then GET /provsap?ID=(last)&amp;DEPTH=ALL (BACK) and
/// ID=(first)&amp;DEPTH=ALL&amp;DIRECTION=FORWARD in PROV-JSON, sequentially, the whole body read.
/// A server of its own, on a data folder of its own, with a definitions folder holding <c>chain</c>.
/// </summary>
public static class ProvenanceBench
{
    public const int ChainLength = 200;
    private const int Runs = 15;
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(60);
    private static readonly XNamespace Ns = UwsXml.Namespace;
    private static readonly XNamespace Custom = UwsXml.CustomNamespace;

    /// <summary>One link: appends its text to its input (none for the first link), so every output is new content.</summary>
    private const string ChainDefinition = """
        name: chain
        version: "1"
        description: A link of the provenance bench's chain; appends its text to its input.
        executionDuration: 60
        parameters:
          - name: text
            type: xs:string
            default: link
        used:
          - name: input
            contentType: text/plain
            url: file://$ID
            description: The previous link's output.
        generated:
          - name: output
            file: output.txt
            contentType: text/plain
        script: |
          if [ -n "$input" ]; then cat "$input" > output.txt; fi
          echo "$text" >> output.txt
        """;

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("opus-bench-prov-").FullName;
        var definitions = Directory.CreateTempSubdirectory("opus-bench-prov-definitions-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(definitions, "chain.yaml"), ChainDefinition);
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken, $"--Opus:DefinitionsPath={definitions}");
            try
            {
                Progress.Say($"provenance: running a chain of {ChainLength} jobs, each using the previous result (sequential)");
                var clock = Stopwatch.StartNew();
                var (first, last) = await BuildChainAsync(server.Client, ChainLength, cancellationToken);
                var built = clock.Elapsed;
                report.Note($"Provenance chain: {ChainLength} `chain` jobs created over HTTP with PHASE=RUN, one after the other, each given the previous job's " +
                    $"result by its store digest (input=<sha256>) and waited for (WAIT) until COMPLETED; {built.TotalSeconds:0.0} s in all.");

                await MeasureAsync(server, report, "BACK from the last job", $"ID={last}&DEPTH=ALL", cancellationToken);
                await MeasureAsync(server, report, "FORWARD from the first job", $"ID={first}&DEPTH=ALL&DIRECTION=FORWARD", cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"server log:\n{server.Log}");
                throw;
            }
        }
        finally
        {
            Program.DeleteFolder(data);
            Program.DeleteFolder(definitions);
        }
    }

    private static async Task<(string First, string Last)> BuildChainAsync(HttpClient client, int length, CancellationToken cancellationToken)
    {
        string? first = null, last = null, sha = null;
        for (var i = 0; i < length; i++)
        {
            var form = new List<KeyValuePair<string, string>> { new("text", $"link {i}"), new("PHASE", "RUN") };
            if (sha is not null)
                form.Add(new("input", sha));
            var id = await Uws.CreateAsync(client, "chain", form, cancellationToken)
                ?? throw new InvalidOperationException($"creating chain job {i} was not answered 303");
            var (job, _) = await Uws.WaitUntilFinalAsync(client, "chain", id, JobPhase.QUEUED, TimeSpan.FromSeconds(60), cancellationToken);
            if (job.Phase != JobPhase.COMPLETED)
                throw new InvalidOperationException($"chain job {i} ({id}) ended {job.Phase}");
            sha = await ResultShaAsync(client, id, cancellationToken);
            first ??= id;
            last = id;
        }

        return (first!, last!);
    }

    private static async Task<string> ResultShaAsync(HttpClient client, string id, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync($"/rest/chain/{id}", cancellationToken);
        response.EnsureSuccessStatusCode();
        var job = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return job.Descendants(Ns + "result").Where(r => (string?)r.Attribute("id") == "output").Select(r => (string?)r.Attribute(Custom + "sha256")).FirstOrDefault()
            ?? throw new InvalidOperationException($"chain job {id} has no output digest:\n{job}");
    }

    private static async Task MeasureAsync(ServerProcess server, Report report, string what, string query, CancellationToken cancellationToken)
    {
        var path = $"/provsap?{query}&RESPONSEFORMAT=PROV-JSON";
        // Warm-up (JIT, page cache), and a check that the whole chain is there.
        var (activities, bytes) = await FetchAsync(server.Client, path, cancellationToken);
        if (activities != ChainLength)
            throw new InvalidOperationException($"{path}: {activities} activities, not {ChainLength}");
        await FetchAsync(server.Client, path, cancellationToken);

        Progress.Say($"provenance: {what}, DEPTH=ALL ({Runs} sequential GETs, at most {TimeBound.TotalSeconds:0} s)");
        var cpu = CpuMeter.Start(server);
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (times.Count < Runs && clock.Elapsed < TimeBound)
        {
            var started = Stopwatch.GetTimestamp();
            await FetchAsync(server.Client, path, cancellationToken);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        report.Add($"ProvSAP PROV-JSON, chain of {ChainLength} jobs, {what}, DEPTH=ALL", $"median {Report.Ms(Stats.Median(times))}",
            $"{times.Count} GETs; min {Report.Ms(times.Min())}, p95 {Report.Ms(Stats.P95(times))}; {bytes / 1024.0:0} KiB; {cpu.Stop(times.Count)}", "-", null, "-");
    }

    /// <summary>GET a PROV-JSON document, the whole body read; the number of activities in it and its size.</summary>
    private static async Task<(int Activities, long Bytes)> FetchAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        var document = JsonNode.Parse(body)?.AsObject() ?? throw new InvalidDataException($"GET {path}: not a JSON object");
        return (document["activity"] is JsonObject section ? section.Count : 0, body.Length);
    }
}
