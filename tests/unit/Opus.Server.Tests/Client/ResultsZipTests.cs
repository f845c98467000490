using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Client;

/// <summary>
/// GET .../results.zip and POST /jobs/results.zip against a running server: entries named after the
/// results with their file endings, each the result byte for byte (SHA-256), a folder per job for a
/// selection, the same visibility as the results, and a large result streamed through without the
/// server's memory growing by its size.
/// </summary>
public sealed class ResultsZipTests(JobListFixture fixture) : IClassFixture<JobListFixture>
{
    internal const string PairYaml = """
        name: zip-pair
        version: "1.0"
        description: Two results, for the zip tests.
        executionDuration: 60
        parameters:
          - name: text
            type: xs:string
            required: true
            description: What to write.
        generated:
          - name: first
            file: first.txt
            contentType: text/plain
            description: The text.
          - name: table
            file: table.csv
            contentType: text/csv
            description: The text in a table.
        script: |
          printf '%s' "$text" > first.txt
          printf 'a,b\n1,%s\n' "$text" > table.csv
        """;

    internal const string BigYaml = """
        name: zip-big
        version: "1.0"
        description: One large result of random bytes, for the zip tests.
        executionDuration: 300
        parameters:
          - name: mebibytes
            type: xs:int
            required: true
            description: Its size.
        generated:
          - name: data
            file: data.bin
            contentType: application/octet-stream
            description: Random bytes.
        script: |
          head -c "$((mebibytes * 1048576))" /dev/urandom > data.bin
        """;

    [Fact]
    public async Task A_jobs_zip_holds_every_result_under_its_name_with_its_ending_byte_for_byte()
    {
        var job = await fixture.Alice.CreateJobAsync("zip-pair", ("text", "zipped sky"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await fixture.Alice.WaitForFinalPhaseAsync(job)).Phase());

        using var response = await fixture.Alice.GetAsync($"{job}/results.zip");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.ToString());
        var entries = await EntriesAsync(await response.Content.ReadAsByteArrayAsync());
        // Each result's name with its file's ending.
        Assert.Equal(["first.txt", "table.csv"], entries.Keys.Order());
        var results = await ResultDigestsAsync(fixture.Alice, job);
        Assert.Equal(results["first"], entries["first.txt"]);
        Assert.Equal(results["table"], entries["table.csv"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("zipped sky"u8)), entries["first.txt"]);

        // As for the results: another user's job is not found, without a byte of zip.
        using var other = await fixture.Bob.GetAsync($"{job}/results.zip");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.DoesNotContain("PK", await other.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_selection_is_one_zip_with_a_folder_per_job_named_or_found_by_the_filters()
    {
        var tag = JobListFilterTests.Tag();
        var copy = await fixture.Alice.CreateJobAsync("copy", ("text", "copied"), ("RUNID", tag), ("PHASE", "RUN"));
        var pair = await fixture.Alice.CreateJobAsync("zip-pair", ("text", "paired"), ("RUNID", tag), ("PHASE", "RUN"));
        foreach (var job in new[] { copy, pair })
            Assert.Equal("COMPLETED", (await fixture.Alice.WaitForFinalPhaseAsync(job)).Phase());
        var (copyId, pairId) = (JobListFilterTests.Id(copy), JobListFilterTests.Id(pair));
        var expected = new Dictionary<string, string>
        {
            [$"{copyId}/output.txt"] = (await ResultDigestsAsync(fixture.Alice, copy))["output"],
            [$"{pairId}/first.txt"] = (await ResultDigestsAsync(fixture.Alice, pair))["first"],
            [$"{pairId}/table.csv"] = (await ResultDigestsAsync(fixture.Alice, pair))["table"],
        };

        using (var named = await fixture.Alice.PostAsync("/jobs/results.zip", Form(("job", $"copy/{copyId}"), ("job", $"zip-pair/{pairId}"))))
        {
            Assert.Equal(HttpStatusCode.OK, named.StatusCode);
            Assert.Equal(expected, await EntriesAsync(await named.Content.ReadAsByteArrayAsync()));
        }

        using (var found = await fixture.Alice.PostAsync($"/jobs/results.zip?runId={tag}", null))
        {
            Assert.Equal(HttpStatusCode.OK, found.StatusCode);
            Assert.Equal(expected, await EntriesAsync(await found.Content.ReadAsByteArrayAsync()));
        }

        // Bob names alice's job among his own: not found, and no zip at all.
        var bobs = await fixture.Bob.CreateCompletedCopyJobAsync("bob's");
        using (var mixed = await fixture.Bob.PostAsync("/jobs/results.zip", Form(("job", $"copy/{JobListFilterTests.Id(bobs)}"), ("job", $"copy/{copyId}"))))
        {
            Assert.Equal(HttpStatusCode.NotFound, mixed.StatusCode);
            Assert.DoesNotContain("PK", await mixed.Content.ReadAsStringAsync());
        }

        // Found by the filters, bob gets his own jobs only.
        using (var bobFound = await fixture.Bob.PostAsync($"/jobs/results.zip?runId={tag}", null))
            Assert.Empty(await EntriesAsync(await bobFound.Content.ReadAsByteArrayAsync()));

        using var malformed = await fixture.Alice.PostAsync("/jobs/results.zip", Form(("job", copyId)));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var detail = JsonNode.Parse(await malformed.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains("DEFINITION/ID", detail);
    }

    [Fact]
    public async Task A_large_result_streams_through_without_the_server_holding_it_in_memory()
    {
        const int mebibytes = 160;
        var job = await fixture.Alice.CreateJobAsync("zip-big", ("mebibytes", mebibytes.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await fixture.Alice.WaitForFinalPhaseAsync(job)).Phase());
        var digest = (await ResultDigestsAsync(fixture.Alice, job))["data"];

        var before = ResidentBytes(fixture.Server.ProcessId);
        var peak = before;
        var file = Path.Combine(Path.GetTempPath(), $"opus-zip-{Guid.NewGuid():N}.zip");
        try
        {
            using (var response = await fixture.Alice.GetAsync($"{job}/results.zip", HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                // Streamed: no length known in advance, sent in chunks as the zip is written.
                Assert.Null(response.Content.Headers.ContentLength);
                Assert.True(response.Headers.TransferEncodingChunked);
                await using var body = await response.Content.ReadAsStreamAsync();
                await using var target = File.Create(file);
                var buffer = new byte[1 << 20];
                var sinceSample = 0L;
                int read;
                while ((read = await body.ReadAsync(buffer)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read));
                    sinceSample += read;
                    if (sinceSample >= 8 << 20)
                    {
                        sinceSample = 0;
                        peak = Math.Max(peak, ResidentBytes(fixture.Server.ProcessId));
                    }
                }
            }

            peak = Math.Max(peak, ResidentBytes(fixture.Server.ProcessId));
            Assert.True(peak - before < (mebibytes << 20) / 3, $"the server's resident memory grew by {(peak - before) >> 20} MiB while streaming a {mebibytes} MiB result");
            await using var zip = await ZipArchive.CreateAsync(File.OpenRead(file), ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null);
            var entry = Assert.Single(zip.Entries);
            Assert.Equal("data.bin", entry.FullName);
            Assert.Equal((long)mebibytes << 20, entry.Length);
            await using var content = await entry.OpenAsync();
            Assert.Equal(digest, Convert.ToHexStringLower(await SHA256.HashDataAsync(content)));
        }
        finally
        {
            File.Delete(file);
            await fixture.Alice.DestroyQuietlyAsync(job);
        }
    }

    /// <summary>VmRSS of a process, in bytes.</summary>
    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    /// <summary>The results of a job as UWS lists them: id → sha256 (Opus's attribute), each checked against the result's own download.</summary>
    private static async Task<Dictionary<string, string>> ResultDigestsAsync(HttpClient client, string job)
    {
        var document = await client.GetXmlAsync(job);
        var digests = new Dictionary<string, string>();
        foreach (var result in document.Descendants(UwsSchema.Uws + "result"))
        {
            var id = (string)result.Attribute("id")!;
            if (id.StartsWith("prov", StringComparison.Ordinal))
                continue;
            var sha = result.Attributes().First(a => a.Name.LocalName == "sha256").Value;
            await using var content = await client.GetStreamAsync($"{job}/results/{Uri.EscapeDataString(id)}");
            Assert.Equal(sha, Convert.ToHexStringLower(await SHA256.HashDataAsync(content)));
            digests[id] = sha;
        }

        return digests;
    }

    private static async Task<Dictionary<string, string>> EntriesAsync(byte[] zipBytes)
    {
        await using var zip = await ZipArchive.CreateAsync(new MemoryStream(zipBytes), ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null);
        var entries = new Dictionary<string, string>();
        foreach (var entry in zip.Entries)
        {
            await using var content = await entry.OpenAsync();
            entries[entry.FullName] = Convert.ToHexStringLower(await SHA256.HashDataAsync(content));
        }

        return entries;
    }
}
