using System.Net;
using System.Text;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Provenance;
using Opus.Server.Tests.Staging;
using static Opus.Server.Tests.Provenance.ProvenanceSteps;
using static Opus.Server.Tests.Staging.StagingSteps;

namespace Opus.Server.Tests.Slurm;

/// <summary>
/// A SLURM server with Opus:Slurm:Staging=http, whose node scratch folder is a folder of its own, away from the
/// server's data folder: jobs get their files over HTTP and send their results back the same way.
/// </summary>
public sealed class HttpStagingFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    /// <summary>Opus:Slurm:Scratch: where the node makes each job's folder.</summary>
    public string Scratch { get; } = Directory.CreateTempSubdirectory("opus-node-scratch-").FullName;

    public const string FilesDefinition = "staged-files";

    public async Task InitializeAsync()
    {
        Server = await SlurmCluster.StartServerAsync(new Dictionary<string, string>
        {
            ["Opus:Slurm:Staging"] = "http",
            ["Opus:Slurm:Scratch"] = Scratch,
        });
        await PublishAsync(Server, FilesDefinition, """
            name: staged-files
            version: "1"
            description: Copies its input and writes where it ran.
            executionDuration: 600
            parameters:
              - name: text
                type: xs:string
                required: true
            used:
              - name: data
                contentType: application/octet-stream
                url: file://$ID
                required: true
            generated:
              - name: copy
                file: copy.bin
                contentType: application/octet-stream
              - name: notes
                file: out/*.txt
                contentType: text/plain
            script: |
              cp "$data" copy.bin
              mkdir -p out
              sha256sum < "$data" | cut -d' ' -f1 > out/input-sha256.txt
              printf '%s\n' "$PWD" "$OPUS_JOB_DIR" "$data" > out/where.txt
              printf '%s' "$text" > "out/a note with spaces.txt"
              echo "to stdout: $text"
              echo "to stderr: $text" >&2
            """);
        await Gate.PublishAsync(Server);
        foreach (var name in new[] { "test_activity_1", "test_activity_2" })
            await PublishAsync(Server, name, ProvenanceSteps.Definitions[name]);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }
}

public sealed class SlurmHttpStagingTests(HttpStagingFixture fixture) : IClassFixture<HttpStagingFixture>
{
    private OpusServer Server => fixture.Server;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_job_with_an_uploaded_input_and_several_results_completes_with_the_right_bytes_and_hashes()
    {
        // Over 16 MiB: its copy goes back as a large result does (hashed on the node while sent, confirmed after).
        var input = new byte[17_000_000];
        Random.Shared.NextBytes(input);
        var text = $"staged 🛰 {Guid.NewGuid()}";
        var job = await Client.CreateWithUploadAsync(HttpStagingFixture.FilesDefinition, ("data", "raw frame.bin", input), ("text", text), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        Assert.Equal("COMPLETED", (await SlurmCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "COMPLETED", Eventually.Bound))?.State);

        Assert.Equal(input, await Client.GetResultBytesAsync(job, "copy"));
        Assert.Equal(Sha256(input), done.Sha256Of("copy"));
        // out/*.txt in the server's order: "a note with spaces.txt", "input-sha256.txt", "where.txt".
        Assert.Equal(text, Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "notes_1")));
        Assert.Equal(Sha256(Encoding.UTF8.GetBytes(text)), done.Sha256Of("notes_1"));
        Assert.Equal(Sha256(input) + "\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "notes_2")));
        var where = Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "notes_3")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Sha256(Encoding.UTF8.GetBytes(string.Join('\n', where) + "\n")), done.Sha256Of("notes_3"));

        // It ran in the node's scratch folder, not in the server's job folder, and that folder is gone.
        Assert.All(where, path => Assert.StartsWith(fixture.Scratch + "/opus-" + JobSteps.JobId(job) + "-", path));
        Assert.All(where, path => Assert.DoesNotContain(Server.DataPath, path));
        Assert.EndsWith("/work", where[0]);
        Assert.EndsWith("/inputs/data/raw_frame.bin", where[2]);
        await Eventually.HoldsAsync(() => !Directory.EnumerateFileSystemEntries(fixture.Scratch).Any(e => e.Contains(JobSteps.JobId(job), StringComparison.Ordinal)),
            "the job's scratch folder is removed");

        Assert.Contains($"to stdout: {text}", await Client.GetTextAsync($"{job}/stdout"));
        Assert.Contains($"to stderr: {text}", await Client.GetTextAsync($"{job}/stderr"));
        Assert.Contains("opus staging: bundle fetched and checked in ", await File.ReadAllTextAsync(Path.Combine(Server.JobDirectory(job), "runner.log")));
    }

    [Fact]
    public async Task A_stored_input_damaged_on_the_server_fails_the_job_on_the_node_saying_so()
    {
        var input = new byte[100_000];
        Random.Shared.NextBytes(input);
        var job = await Client.CreateWithUploadAsync(HttpStagingFixture.FilesDefinition, ("data", "frame.bin", input), ("text", "damaged"));
        // A byte of the stored file changes on the server's disk: the bundle still names the input by the store's
        // SHA-256 (not a hash of what it sends), so the node finds the damage.
        var stored = Path.Combine(Server.DataPath, "store", Sha256(input)[..2], Sha256(input));
        File.SetAttributes(stored, FileAttributes.Normal);
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(stored, bytes);
        using (var run = await Client.PostFormAsync($"{job}/phase", ("PHASE", "RUN")))
            Assert.Equal(HttpStatusCode.SeeOther, run.StatusCode);

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.Equal("ERROR", done.Phase());
        Assert.Equal("the job's files arrived damaged on the compute node (SHA-256 check failed three times)", done.ErrorMessage());
        Assert.Equal("FAILED", (await SlurmCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "FAILED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task A_wrong_hash_and_a_traversal_name_are_refused_and_the_job_goes_on()
    {
        using var gate = new Gate();
        var job = await gate.RunJobAsync(Client);
        var id = JobSteps.JobId(job);
        await Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
        var token = TokenOf(Server, job);
        var work = Path.Combine(Server.JobDirectory(job), "work");

        var (wrong, message) = await PutFileAsync(Client, id, "work/report.txt", "forged\n"u8.ToArray(), token, Sha256("something else"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, wrong);
        Assert.Contains("SHA-256", message);
        Assert.False(File.Exists(Path.Combine(work, "report.txt")));

        var (traversal, why) = await PutFileAsync(Client, id, "work/..%2F..%2F..%2Fescaped.txt", "x"u8.ToArray(), token);
        Assert.Equal(HttpStatusCode.BadRequest, traversal);
        Assert.DoesNotContain(Server.DataPath, why);
        Assert.Empty(Directory.EnumerateFiles(Server.DataPath, "escaped.txt", SearchOption.AllDirectories));

        gate.Open();
        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
        Assert.Equal("gate opened\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "report")));
    }

    [Fact]
    public async Task An_aborted_staged_job_ends_ABORTED_with_no_process_and_no_scratch_folder_left()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        await Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
        // The runner's argument is its folder on the node; the script's processes carry OPUS_JOB_ID.
        var folder = await Eventually.HoldsAsync(
            () => Task.FromResult(Directory.EnumerateDirectories(fixture.Scratch, $"opus-{id}-*").FirstOrDefault()), f => f is not null, "the job's scratch folder");
        try
        {
            var running = await JobProcesses.WaitUntilAsync(id, folder!, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            Assert.Contains(running, p => p.Command == "sleep");

            await Client.AbortAsync(job);
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
            await JobProcesses.AssertNoneLeftAsync(id, folder!, Eventually.Bound);
            Assert.Equal("CANCELLED", (await SlurmCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
            await Eventually.HoldsAsync(() => !Directory.Exists(folder), "the scratch folder is removed");
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, folder!);
        }
    }

    [Fact]
    public async Task Three_staged_jobs_make_a_provenance_chain()
    {
        var a = await Client.RunAsync("test_activity_1", ("text", $"first {Guid.NewGuid()}"));
        var e1 = a.Job.Sha256Of("output");
        var b = await Client.RunWithUploadAsync("test_activity_2", ("input", "from-a.txt", await Client.GetResultBytesAsync(a.Path, "output")), ("text", "second"));
        var e2 = b.Job.Sha256Of("output");
        var c = await Client.RunAsync("test_activity_2", ("input", e2), ("text", "third"));
        var e3 = c.Job.Sha256Of("output");
        Assert.Equal(
            Encoding.UTF8.GetString(await Client.GetResultBytesAsync(a.Path, "output")) + "second\nthird\n",
            Encoding.UTF8.GetString(await Client.GetResultBytesAsync(c.Path, "output")));

        var document = await Client.ProvJsonAsync($"ID={e3}&DEPTH=ALL");
        Assert.Equal(new[] { Job("test_activity_1", a.Id), Job("test_activity_2", b.Id), Job("test_activity_2", c.Id) }.Order(StringComparer.Ordinal), document.Keys("activity"));
        Assert.Contains(document.Relations("used"), u => u.Text("prov:entity") == Store(e1) && u.Text("prov:activity") == Job("test_activity_2", b.Id));
        Assert.Contains(document.Relations("used"), u => u.Text("prov:entity") == Store(e2) && u.Text("prov:activity") == Job("test_activity_2", c.Id));
        Assert.Contains(document.Relations("wasGeneratedBy"), g => g.Text("prov:entity") == Store(e3) && g.Text("prov:activity") == Job("test_activity_2", c.Id));
    }
}

/// <summary>A node that cannot reach the server: the job ends in ERROR saying so.</summary>
public sealed class SlurmHttpStagingUnreachableTests
{
    [Fact]
    public async Task A_server_the_node_cannot_reach_ends_the_job_in_ERROR_with_the_reason()
    {
        // Nothing listens there: the node's fetch is refused, as a firewall or a wrong address would make it.
        var nowhere = $"http://127.0.0.1:{OpusServer.FreePort()}";
        var scratch = Directory.CreateTempSubdirectory("opus-node-scratch-").FullName;
        try
        {
            await using var server = await SlurmCluster.StartServerAsync(new Dictionary<string, string>
            {
                ["Opus:Slurm:Staging"] = "http",
                ["Opus:Slurm:Scratch"] = scratch,
                ["Opus:CallbackUrl"] = $"{nowhere}/handler/job_event",
            });
            var job = await server.Client.CreateJobAsync("copy", ("text", "never staged"), ("PHASE", "RUN"));

            var done = await server.Client.WaitForEndAsync(job, Eventually.Bound);
            Assert.Equal("ERROR", done.Phase());
            Assert.Equal($"the compute node could not reach the server at {nowhere} to fetch the job's files (the nodes must reach Opus:PublicUrl, or Opus:CallbackUrl when it is set)", done.ErrorMessage());
            Assert.Equal("FAILED", (await SlurmCluster.StateOfAsync(JobSteps.JobId(job)))?.State);
            Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}

/// <summary>The time limit of a staged job: SLURM's TIMEOUT, told apart from an abort as for shared jobs (60-100 s).</summary>
public sealed class SlurmHttpStagingTimeLimitTests(HttpStagingFixture fixture) : IClassFixture<HttpStagingFixture>
{
    [Fact]
    public async Task A_staged_job_past_its_time_limit_ends_in_ERROR_saying_so_and_leaves_no_scratch_folder()
    {
        var client = fixture.Server.Client;
        // 20 s becomes --time=1 (rounded up to a minute).
        var job = await client.CreateJobAsync("sleep", ("seconds", "600"), ("EXECUTIONDURATION", "20"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        try
        {
            var done = await client.WaitForEndAsync(job, TimeSpan.FromSeconds(300));
            Assert.Equal("ERROR", done.Phase());
            Assert.Contains("time limit", done.ErrorMessage());
            Assert.Equal("TIMEOUT", (await SlurmCluster.StateOfAsync(id))?.State);
            await Eventually.HoldsAsync(() => !Directory.EnumerateDirectories(fixture.Scratch, $"opus-{id}-*").Any(), "the scratch folder is removed");
        }
        finally
        {
            await SlurmCluster.RunAsync("scancel", $"--name=opus-{id}");
        }
    }
}
