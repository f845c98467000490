using System.Formats.Tar;
using System.Net;
using System.Text;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Provenance;
using static Opus.Server.Tests.Staging.StagingSteps;

namespace Opus.Server.Tests.Staging;

/// <summary>
/// GET /jobs/{id}/bundle and PUT /jobs/{id}/files/{name} over HTTP, for jobs of the local manager held
/// running by a gate: the node's side of staging, without a node.
/// </summary>
public sealed class StagingEndpointTests
{
    private const long MaxBytes = 4 << 20;

    [Fact]
    public async Task The_bundle_and_uploads_take_only_the_jobs_own_token_and_only_while_it_runs()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxConcurrentJobs"] = "2",
            ["Opus:KillGraceSeconds"] = "1",
            ["Opus:Inputs:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await PublishAsync(server, GatedDefinition, GatedYaml);
        var client = server.Client;
        using var gate = new Gate();
        using var otherGate = new Gate();
        var input = RandomBytes(300_000);
        var job = await client.CreateWithUploadAsync(GatedDefinition, ("data", "sky image.fits", input), ("gate", gate.FilePath), ("PHASE", "RUN"));
        var other = await client.CreateWithUploadAsync(GatedDefinition, ("data", "other.bin", [1, 2, 3]), ("gate", otherGate.FilePath), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = server.JobDirectory(job);
        try
        {
            await client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
            await client.WaitForPhaseAsync(other, "EXECUTING", Eventually.Bound);
            var token = TokenOf(server, job);
            var otherToken = TokenOf(server, other);
            const string root = "/scratch/on the node/opus-x-1";

            // The upload's file name is made safe by the server (sky_image.fits).
            // The bundle: no token, another job's token, an unknown job: 403; a bad root: 400.
            Assert.Equal(HttpStatusCode.Forbidden, (await GetBundleAsync(client, id, root, null)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await GetBundleAsync(client, id, root, otherToken)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await GetBundleAsync(client, "nosuchjob", root, token)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await GetBundleAsync(client, id, null, token)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await GetBundleAsync(client, id, "relative/folder", token)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await GetBundleAsync(client, id, "/tmp/../etc", token)).Status);

            var (status, body, type) = await GetBundleAsync(client, id, root, token);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("application/x-tar", type);
            var members = ReadTar(body);
            Assert.Equal("bundle.sha256", members.Keys.Last());
            Assert.Equal(["runner.sh", "script.sh", "parameters.json", "job.env", "inputs/data/sky_image.fits", "results.list", "bundle.sha256"], members.Keys);
            Assert.Equal(input, members["inputs/data/sky_image.fits"]);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(directory, "script.sh")), members["script.sh"]);
            Assert.Equal("report.txt\0parts/*.bin\0", Encoding.UTF8.GetString(members["results.list"]));
            // The manifest is sha256sum's format, one line for every other member, each hash right.
            var manifest = Encoding.UTF8.GetString(members["bundle.sha256"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(members.Count - 1, manifest.Length);
            foreach (var line in manifest)
                Assert.Equal(Sha256(members[line[66..]]), line[..64]);
            // Paths are the node's; the node's batch script reports, not the runner.
            var env = Encoding.UTF8.GetString(members["job.env"]).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains($"OPUS_JOB_DIR={root}", env);
            Assert.Contains($"data={root}/inputs/data/sky_image.fits", env);
            Assert.Contains($"gate={gate.FilePath}", env);
            Assert.DoesNotContain(env, e => e.StartsWith("OPUS_CALLBACK_URL=", StringComparison.Ordinal));
            Assert.DoesNotContain(env, e => e.Contains(server.DataPath, StringComparison.Ordinal));
            // A stored input's line is the store's SHA-256, not a hash of what is sent: a byte changed on the server's
            // disk reaches the node under the right digest, so the node's check fails.
            var copy = Path.Combine(directory, "inputs", "data", "sky_image.fits");
            var damaged = input.ToArray();
            damaged[^1] ^= 1;
            await File.WriteAllBytesAsync(copy, damaged);
            var again = ReadTar((await GetBundleAsync(client, id, root, token)).Body);
            Assert.Equal(damaged, again["inputs/data/sky_image.fits"]);
            Assert.Contains($"{Sha256(input)}  inputs/data/sky_image.fits", Encoding.UTF8.GetString(again["bundle.sha256"]).Split('\n'));
            await File.WriteAllBytesAsync(copy, input);

            // Uploads: another job's token is refused and writes nothing.
            var part = RandomBytes(100_000);
            var parts = Path.Combine(directory, "work", "parts");
            Assert.Equal(HttpStatusCode.Forbidden, (await PutFileAsync(client, id, "work/parts/a.bin", part, otherToken)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await PutFileAsync(client, id, "work/parts/a.bin", part, null)).Status);
            Assert.False(Directory.Exists(parts));

            // A wrong or missing hash: 400, nothing lands.
            var (wrong, wrongBody) = await PutFileAsync(client, id, "work/parts/a.bin", part, token, Sha256([9]));
            Assert.Equal(HttpStatusCode.BadRequest, wrong);
            Assert.Contains("SHA-256", wrongBody);
            Assert.DoesNotContain(server.DataPath, wrongBody);
            Assert.Equal(HttpStatusCode.BadRequest, (await PutFileAsync(client, id, "work/parts/a.bin", part, token, "not-hex")).Status);
            Assert.False(File.Exists(Path.Combine(parts, "a.bin")));

            // A SHA-256 that follows: the bytes are kept aside until the POST brings the server's hash of them.
            var large = RandomBytes(200_000);
            var (held, upload) = await PutPendingAsync(client, id, "work/parts/c.bin", large, token);
            Assert.Equal(HttpStatusCode.Accepted, held);
            Assert.Matches("^[0-9a-f]{32}$", upload);
            Assert.False(File.Exists(Path.Combine(parts, "c.bin")));
            Assert.Equal(HttpStatusCode.Forbidden, (await ConfirmAsync(client, id, "work/parts/c.bin", upload, Sha256(large), otherToken)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await ConfirmAsync(client, id, "work/parts/c.bin", "../" + upload, Sha256(large), token)).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await ConfirmAsync(client, id, "work/../c.bin", upload, Sha256(large), token)).Status);
            // One byte changed on the way: the hashes differ, nothing lands and the upload is dropped (the node sends again).
            var (mismatch, mismatchBody) = await ConfirmAsync(client, id, "work/parts/c.bin", upload, Sha256([.. large[..^1], (byte)(large[^1] ^ 1)]), token);
            Assert.Equal(HttpStatusCode.BadRequest, mismatch);
            Assert.Contains("SHA-256", mismatchBody);
            Assert.False(File.Exists(Path.Combine(parts, "c.bin")));
            Assert.Equal(HttpStatusCode.NotFound, (await ConfirmAsync(client, id, "work/parts/c.bin", upload, Sha256(large), token)).Status);
            (held, upload) = await PutPendingAsync(client, id, "work/parts/c.bin", large, token);
            Assert.Equal(HttpStatusCode.Accepted, held);
            Assert.Equal(HttpStatusCode.NoContent, (await ConfirmAsync(client, id, "work/parts/c.bin", upload, Sha256(large), token)).Status);
            Assert.Equal(large, await File.ReadAllBytesAsync(Path.Combine(parts, "c.bin")));
            Assert.Empty(Directory.EnumerateFiles(directory, ".pending-*"));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PutPendingAsync(client, id, "work/parts/big.bin", new byte[MaxBytes + 1], token)).Status);

            // Names that leave work/ or are not the job's files: 4xx, nothing written outside.
            foreach (var name in new[] { "work/../../escaped.txt", "work/..%2F..%2Fescaped.txt", "work%2F..%2F..%2Fescaped.txt", "work/%2E%2E/%2E%2E/escaped.txt", "work/a/..%2F..%2F..%2Fescaped.txt", "escaped.txt", "callback.header", "work//escaped.txt", "%2Fetc%2Fescaped.txt" })
            {
                var (refused, text) = await PutFileAsync(client, id, name, "x"u8.ToArray(), token);
                Assert.True((int)refused is >= 400 and < 500, $"{name}: {(int)refused} {text}");
                Assert.DoesNotContain(server.DataPath, text);
            }

            Assert.Empty(Directory.EnumerateFiles(server.DataPath, "escaped.txt", SearchOption.AllDirectories));
            Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(server.DataPath)!, "escaped.txt"));
            Assert.NotEqual("x", await File.ReadAllTextAsync(Path.Combine(directory, "callback.header")));

            // Over the upload limit: 413.
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PutFileAsync(client, id, "work/parts/big.bin", new byte[MaxBytes + 1], token)).Status);
            Assert.False(File.Exists(Path.Combine(parts, "big.bin")));

            // The right hash: stored in the job's folder, and then a result as if the job had written it.
            Assert.Equal(HttpStatusCode.NoContent, (await PutFileAsync(client, id, "work/parts/a.bin", part, token)).Status);
            Assert.Equal(part, await File.ReadAllBytesAsync(Path.Combine(parts, "a.bin")));
            Assert.Equal(HttpStatusCode.NoContent, (await PutFileAsync(client, id, "stdout.log", "from the node\n"u8.ToArray(), token)).Status);
            Assert.Equal(HttpStatusCode.NoContent, (await PutFileAsync(client, id, "work/with%20space.txt", "spaced"u8.ToArray(), token)).Status);
            Assert.Equal("spaced", await File.ReadAllTextAsync(Path.Combine(directory, "work", "with space.txt")));
            // Decoded once: a name with a percent sign is that name; a path through a file the job sent is a conflict, not an error.
            Assert.Equal(HttpStatusCode.NoContent, (await PutFileAsync(client, id, "work/100%2541.txt", "percent"u8.ToArray(), token)).Status);
            Assert.Equal("percent", await File.ReadAllTextAsync(Path.Combine(directory, "work", "100%41.txt")));
            Assert.Equal(HttpStatusCode.Conflict, (await PutFileAsync(client, id, "work/with%20space.txt/inner.txt", "x"u8.ToArray(), token)).Status);

            gate.Open();
            var done = await client.WaitForEndAsync(job, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
            Assert.Equal(part, await client.GetResultBytesAsync(job, "parts_1"));
            Assert.Equal(Sha256(part), done.Sha256Of("parts_1"));
            Assert.Equal(large, await client.GetResultBytesAsync(job, "parts_2"));
            Assert.Equal(Sha256(large), done.Sha256Of("parts_2"));

            // After the end: 409 for the job's own token, still 403 for another's.
            var (late, lateBody) = await PutFileAsync(client, id, "work/parts/b.bin", part, token);
            Assert.Equal(HttpStatusCode.Conflict, late);
            Assert.Contains("COMPLETED", lateBody);
            Assert.Equal(HttpStatusCode.Conflict, (await GetBundleAsync(client, id, root, token)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await PutFileAsync(client, id, "work/parts/b.bin", part, otherToken)).Status);
            Assert.False(File.Exists(Path.Combine(parts, "b.bin")));

            Assert.Equal(HttpStatusCode.Conflict, (await PutPendingAsync(client, id, "work/parts/d.bin", part, token)).Status);

            await client.AbortAsync(other);
            Assert.Equal(HttpStatusCode.Conflict, (await PutFileAsync(client, JobSteps.JobId(other), "stdout.log", part, otherToken)).Status);
        }
        finally
        {
            gate.Open();
            otherGate.Open();
        }
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static Dictionary<string, byte[]> ReadTar(byte[] archive)
    {
        var members = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(archive));
        while (reader.GetNextEntry() is { } entry)
        {
            using var data = new MemoryStream();
            entry.DataStream?.CopyTo(data);
            members.Add(entry.Name, data.ToArray());
        }

        return members;
    }
}
