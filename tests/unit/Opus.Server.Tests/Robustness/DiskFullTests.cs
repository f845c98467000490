using System.Net;
using System.Net.Http.Headers;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Robustness.RobustnessSteps;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// Issue 13, item 5: a server whose data folder is on a small tmpfs, filled by the test. A full disk
/// is a 507 saying so, a refused creation stores nothing, and once space is freed the server works
/// again and a job caught by the full disk ends.
/// </summary>
public sealed class DiskFullTests
{
    private const string DiskFull = "the server's disk is full";
    private const int WriterTimeLimit = 20;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_full_disk_is_a_507_that_stores_nothing_and_the_server_recovers_when_space_is_freed()
    {
        await using var disk = await SmallDisk.MountAsync(64);
        await using var server = await StartServerAsync(disk);
        using var admin = server.AdminClient();
        await admin.CreateCompletedCopyJobAsync(Unique("before"));
        var pending = await admin.CreateJobAsync("copy", ("text", Unique("pending")));
        var copies = (await admin.GetJobListAsync("copy")).JobRefIds();
        var logOffset = server.Log.Length;

        disk.Fill();

        // Creation, with or without PHASE=RUN, and running a PENDING job: refused whole, saying why.
        foreach (var (path, form) in new (string, (string, string)[])[]
        {
            ("/rest/copy", [("text", "on a full disk"), ("PHASE", "RUN")]),
            ("/rest/copy", [("text", "on a full disk")]),
            ($"{pending}/phase", [("PHASE", "RUN")]),
        })
        {
            using var refused = await admin.PostFormAsync(path, form);
            await AssertOneLineAsync(refused, (HttpStatusCode)507, DiskFull);
        }

        Assert.Equal(copies, (await admin.GetJobListAsync("copy")).JobRefIds());
        Assert.Equal("PENDING", (await admin.GetDocumentAsync(pending)).Phase());
        AssertNoStackTraceSince(server, logOffset);

        disk.Free();

        // The server works again: the refused job runs now, and a new one too.
        using (var run = await admin.PostFormAsync($"{pending}/phase", ("PHASE", "RUN")))
            Assert.Equal(HttpStatusCode.SeeOther, run.StatusCode);
        Assert.Equal("COMPLETED", (await admin.WaitForFinalPhaseAsync(pending)).Phase());
        await admin.CreateCompletedCopyJobAsync(Unique("after"));
    }

    [Fact]
    public async Task A_job_running_when_the_disk_fills_ends_in_ERROR_within_its_time_limit_and_a_sweep_once_space_is_freed()
    {
        await using var disk = await SmallDisk.MountAsync(64);
        await using var server = await StartServerAsync(disk);
        using var admin = server.AdminClient();
        var writer = $"diskwriter-{Guid.NewGuid():N}"[..20];
        await admin.ProposeAsync(writer, $$"""
            name: {{writer}}
            version: "1.0"
            description: Waits for a go file in its job folder, then writes 4 MiB.
            executionDuration: {{WriterTimeLimit}}
            script: |
              while [ ! -e "$OPUS_JOB_DIR/go" ]; do sleep 0.1; done
              head -c 4194304 /dev/zero > big.bin || exit 5
              echo wrote > out.txt
            """, publish: true);
        var running = await admin.CreateJobAsync(writer, ("PHASE", "RUN"));
        await admin.WaitForPhaseAsync(running, phase => phase == "EXECUTING", TimeSpan.FromSeconds(30));

        disk.Fill();

        // The job now writes into the full disk and fails; its runner ends (its report may not be stored: the disk is full).
        var runningId = JobIdOf(running);
        var jobDirectory = Path.Combine(server.DataPath, "jobs", runningId);
        File.Create(Path.Combine(jobDirectory, "go")).Dispose();
        await JobProcesses.AssertNoneLeftAsync(runningId, jobDirectory, TimeSpan.FromSeconds(WriterTimeLimit + 10));

        // With the database elsewhere (PostgreSQL) the job's end is stored while the disk is still full, and says
        // why: waited for before space is freed (the server may take the runner's end after its processes are gone).
        // With SQLite in the full data folder that write itself fails and is retried once space is back.
        var onPostgres = server.PostgresConnection is not null;
        if (!onPostgres)
            disk.Free();

        // It ends in ERROR (a final write that failed on the full disk is retried by the sweep), with no server path.
        System.Xml.Linq.XDocument ended;
        try
        {
            ended = await admin.WaitForFinalPhaseAsync(running, WriterTimeLimit + SweepInterval.TotalSeconds + 15);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            var said = server.Log.Split('\n').Where(line => line.Contains(runningId, StringComparison.Ordinal) || line.Contains("Refused", StringComparison.Ordinal));
            throw new Xunit.Sdk.XunitException($"{e.Message}; the server's log of it:\n{string.Join('\n', said.TakeLast(10))}");
        }

        if (onPostgres)
            disk.Free();
        Assert.Equal("ERROR", ended.Phase());
        var summary = ended.Root!.Element(U("errorSummary"))!.Value;
        Assert.DoesNotContain(server.DataPath, summary);
        if (onPostgres)
            Assert.Contains(DiskFull, summary);
        await admin.CreateCompletedCopyJobAsync(Unique("after"));
    }

    [Fact]
    public async Task An_upload_larger_than_the_space_left_is_a_507_and_leaves_no_job_and_no_partial_file()
    {
        await using var disk = await SmallDisk.MountAsync(64);
        await using var server = await StartServerAsync(disk);
        using var admin = server.AdminClient();
        var reader = $"diskreader-{Guid.NewGuid():N}"[..20];
        await admin.ProposeAsync(reader, $$"""
            name: {{reader}}
            version: "1.0"
            description: Counts the bytes of one uploaded file.
            executionDuration: 60
            used:
              - name: data
                url: http://127.0.0.1:9/files/$ID
                required: true
                description: The file.
            script: |
              wc -c < "$data"
            """, publish: true);
        var store = Path.Combine(server.DataPath, "store");
        var storedBefore = Directory.Exists(store) ? Directory.GetFiles(store, "*", SearchOption.AllDirectories).Length : 0;

        // More free than the server keeps in reserve (so it accepts the request), less than the upload.
        disk.Fill(leaveBytes: 24L << 20);
        var freeBefore = disk.AvailableBytes;
        var logOffset = server.Log.Length;
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("RUN"), "PHASE");
        form.Add(new ByteArrayContent(DefinitionTestHelpers.RandomBytes(32 << 20)) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, "data", "big.bin");
        using var refused = await admin.PostAsync($"/rest/{reader}", form);

        await AssertOneLineAsync(refused, (HttpStatusCode)507, DiskFull);
        Assert.Empty((await admin.GetJobListAsync(reader)).JobRefIds());
        Assert.Equal(storedBefore, Directory.Exists(store) ? Directory.GetFiles(store, "*", SearchOption.AllDirectories).Length : 0);
        Assert.InRange(disk.AvailableBytes, freeBefore - (1 << 20), long.MaxValue);
        AssertNoStackTraceSince(server, logOffset);

        // With the space back, the same upload is a job that runs.
        disk.Free();
        using var again = new MultipartFormDataContent();
        again.Add(new StringContent("RUN"), "PHASE");
        again.Add(new ByteArrayContent(new byte[12345]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, "data", "small.bin");
        using var accepted = await admin.PostAsync($"/rest/{reader}", again);
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        var job = accepted.Headers.Location!.AbsolutePath;
        Assert.Equal("COMPLETED", (await admin.WaitForFinalPhaseAsync(job)).Phase());
        Assert.Equal("12345", (await admin.GetTextAsync($"{job}/stdout")).Trim());
    }

    private static Task<OpusServer> StartServerAsync(SmallDisk disk) =>
        OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:SweepInterval"] = SweepInterval.ToString(),
            ["Opus:KillGraceSeconds"] = "1",
        }, dataPath: Directory.CreateDirectory(Path.Combine(disk.Path, "data")).FullName);
}
