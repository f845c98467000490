using System.Diagnostics;
using System.Net;
using Npgsql;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Operations;

/// <summary>
/// docs/operations.md's backup and restore, done to a running server with the same commands: the database
/// (SQLite's online backup, or pg_dump), then the store and the job folders; restored into a new folder
/// (and database), a new server finds every job, result and provenance record.
/// </summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task A_running_SQLite_server_backed_up_and_restored_elsewhere_has_every_job_result_and_provenance_record()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Storage:Provider"] = "Sqlite" });
        var before = await RunJobsAsync(server);
        var restored = Directory.CreateTempSubdirectory("opus-restored-").FullName;

        // While it runs: the database first (consistent, whatever is being written), then the folders it refers to.
        await ShAsync("""sqlite3 "$1/opus.db" ".backup '$2/opus.db'" && cp -a "$1/store" "$1/jobs" "$2/" """, server.DataPath, restored);

        await using var again = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Storage:Provider"] = "Sqlite" }, restored);
        await FindsEverythingAsync(again, before);
    }

    [Fact]
    public async Task A_running_PostgreSQL_server_backed_up_with_pg_dump_and_restored_into_a_new_database_has_every_job()
    {
        var database = await TestPostgres.CreateDatabaseAsync("opus_backup");
        var copy = await TestPostgres.CreateDatabaseAsync("opus_restore");
        try
        {
            var settings = new Dictionary<string, string> { ["Opus:Storage:Provider"] = "Postgres", ["Opus:Storage:ConnectionString"] = database };
            await using var server = await OpusServer.StartAsync(settings);
            var before = await RunJobsAsync(server);
            var restored = Directory.CreateTempSubdirectory("opus-restored-").FullName;
            var dump = Path.Combine(restored, "opus.dump");

            var source = new NpgsqlConnectionStringBuilder(database);
            var target = new NpgsqlConnectionStringBuilder(copy);
            var environment = new Dictionary<string, string> { ["PGPASSWORD"] = source.Password!, ["PGHOST"] = source.Host!, ["PGPORT"] = source.Port.ToString(), ["PGUSER"] = source.Username! };
            await ShAsync("""pg_dump -Fc -d "$1" -f "$3" && cp -a "$4/store" "$4/jobs" "$5/" && pg_restore --no-owner -d "$2" "$3" """,
                environment, source.Database!, target.Database!, dump, server.DataPath, restored);

            await using var again = await OpusServer.StartAsync(
                new Dictionary<string, string> { ["Opus:Storage:Provider"] = "Postgres", ["Opus:Storage:ConnectionString"] = copy }, restored);
            await FindsEverythingAsync(again, before);
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
            await TestPostgres.DropDatabaseAsync(copy);
        }
    }

    private sealed record Finished(string Path, string Phase, Dictionary<string, byte[]> Results);

    // Two jobs with results and one that fails, each with its provenance.
    private static async Task<List<Finished>> RunJobsAsync(OpusServer server)
    {
        var client = server.Client;
        var first = await client.CreateJobAsync("copy", ("text", "kept safe"), ("PHASE", "RUN"));
        var failed = await client.CreateJobAsync("fail", ("message", "kept too"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(first)).Phase());
        Assert.Equal("ERROR", (await client.WaitForFinalAsync(failed)).Phase());
        var second = await client.CreateJobAsync("copy", ("text", "kept safe as well"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(second)).Phase());

        var finished = new List<Finished>();
        foreach (var path in new[] { first, failed, second })
        {
            var job = await client.GetXmlAsync(path);
            var results = new Dictionary<string, byte[]>();
            foreach (var result in job.Root!.Element(UwsSchema.Uws + "results")?.Elements(UwsSchema.Uws + "result") ?? [])
            {
                var id = (string)result.Attribute("id")!;
                results[id] = await client.GetResultBytesAsync(path, id);
            }

            finished.Add(new Finished(path, job.Phase(), results));
        }

        Assert.Contains(finished, f => f.Results.ContainsKey("output"));
        return finished;
    }

    private static async Task FindsEverythingAsync(OpusServer server, List<Finished> before)
    {
        var client = server.Client;
        foreach (var job in before)
        {
            var found = await client.GetXmlAsync(job.Path);
            Assert.Equal(job.Phase, found.Phase());
            // The files the job wrote, byte for byte; its provenance results (provjson...) are drawn per request,
            // with this server's address in them.
            foreach (var (id, bytes) in job.Results)
            {
                var now = await client.GetResultBytesAsync(job.Path, id);
                if (!id.StartsWith("prov", StringComparison.Ordinal))
                    Assert.Equal(bytes, now);
            }

            // The provenance record of the job: its activity, and the entities it generated.
            using var prov = await client.GetAsync($"{job.Path}/prov");
            var text = await prov.Content.ReadAsStringAsync();
            Assert.True(prov.StatusCode == HttpStatusCode.OK, $"{job.Path}/prov: {(int)prov.StatusCode} {text}");
            Assert.Contains(JobSteps.JobId(job.Path), text);
            if (job.Results.TryGetValue("output", out var output))
                Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(output)), text);
        }

        foreach (var list in before.Select(j => j.Path[..j.Path.LastIndexOf('/')]).Distinct())
        {
            var listed = await client.GetXmlAsync(list);
            foreach (var job in before.Where(j => j.Path.StartsWith(list + "/", StringComparison.Ordinal)))
                Assert.Contains(listed.Descendants(UwsSchema.Uws + "jobref"), r => (string?)r.Attribute("id") == JobSteps.JobId(job.Path));
        }
    }

    private static Task ShAsync(string script, params string[] arguments) => ShAsync(script, new Dictionary<string, string>(), arguments);

    // The script sees its values as "$1"..., never spliced into its text.
    private static async Task ShAsync(string script, Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("sh");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{script}: exit {process.ExitCode}\n{await output}{await error}");
    }
}
