using System.Net;
using Microsoft.Data.Sqlite;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Provenance.ProvenanceSteps;

namespace Opus.Server.Tests.Provenance;

/// <summary>Servers of their own: killed while a job finishes, or without Graphviz.</summary>
public sealed class ProvenanceRecoveryTests : IDisposable
{
    private readonly string _definitions = WriteDefinitions();

    [Fact]
    public async Task A_job_that_completed_while_its_server_was_killed_has_full_provenance_after_the_restart()
    {
        await using var server = await StartServerAsync(_definitions);
        var client = server.Client;
        var text = Unique("finished while the server was down");
        // It runs until the test opens its gate, once the server is dead.
        using var gate = new Gate();
        var path = await client.CreateJobAsync("held", ("text", text), ("gate", gate.FilePath), ("PHASE", "RUN"));
        var id = JobSteps.JobId(path);
        try
        {
            await client.WaitForPhaseAsync(path, "EXECUTING", JobTimeout);
            await server.KillAsync();
            gate.Open();

            // The runner ends on its own; only its events file knows.
            await JobProcesses.AssertNoneLeftAsync(id, server.JobDirectory(path), Eventually.Bound);
            Assert.Contains(" COMPLETED 0", await File.ReadAllTextAsync(Path.Combine(server.JobDirectory(path), "events")));
            Assert.Equal(0, await CountActivitiesAsync(server, id));

            await server.RestartAsync();
            var job = await client.WaitForEndAsync(path, JobTimeout);
            Assert.Equal("COMPLETED", job.Phase());
            // Recorded at start-up with the phase change the events file led to, before anyone asked for it.
            Assert.Equal(1, await CountActivitiesAsync(server, id));

            var document = await client.ProvJsonAsync($"ID={id}&DEPTH=0");
            var activity = document.Record("activity", Job("held", id));
            Assert.Equal(job.TimeOf("startTime"), DateTimeOffset.Parse(activity.Text("prov:startTime")!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(job.TimeOf("endTime"), DateTimeOffset.Parse(activity.Text("prov:endTime")!, System.Globalization.CultureInfo.InvariantCulture));
            var output = Store(job.Sha256Of("output"));
            Assert.Contains(document.Relations("wasGeneratedBy"), g => g.Text("prov:entity") == output && g.Text("prov:activity") == Job("held", id));
            Assert.Equal(text, document.Record("entity", $"{Job("held", id)}/parameters/text").Text("prov:value"));
            Assert.Equal(gate.FilePath, document.Record("entity", $"{Job("held", id)}/parameters/gate").Text("prov:value"));
            Assert.Equal(["opus_user:anonymous"], document.Keys("agent"));
        }
        finally
        {
            JobProcesses.Kill(id, server.JobDirectory(path));
        }
    }

    [Fact]
    public async Task Without_Graphviz_provsvg_is_not_listed_a_drawing_is_a_503_naming_the_tool_and_the_text_formats_still_work()
    {
        const string missingDot = "/nonexistent/graphviz/dot";
        await using var server = await StartServerAsync(_definitions, ("Opus:Provenance:DotPath", missingDot));
        var job = await server.Client.RunAsync("test_activity_1", ("text", Unique("no drawing")));

        // The job offers what the server can serve: its text provenance, not a drawing.
        var listed = job.Job.Root!.Element(UwsSchema.Uws + "results")!.Elements(UwsSchema.Uws + "result").Select(r => (string)r.Attribute("id")!).ToList();
        Assert.Equal(["output", "provjson", "provxml", "provn"], listed);
        var results = (await server.Client.GetXmlAsync($"{job.Path}/results")).Root!.Elements(UwsSchema.Uws + "result").Select(r => (string)r.Attribute("id")!);
        Assert.Equal(listed, results);

        foreach (var path in new[] { $"/provsap?ID={job.Id}&RESPONSEFORMAT=PROV-SVG", $"{job.Path}/provsvg", $"{job.Path}/results/provsvg", $"/provsap?ID={job.Id}&RESPONSEFORMAT=PROV-PNG" })
        {
            using var response = await server.Client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain('\n', body.TrimEnd('\n'));
            Assert.Contains("Graphviz", body);
            Assert.Contains("PROV-JSON", body);
            // The tool is named; the server's path to it is not.
            Assert.DoesNotContain(missingDot, body);
            Assert.StartsWith("sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        await server.Client.ProvJsonAsync($"ID={job.Id}");
        Assert.DoesNotContain("Unhandled error", server.Log);
    }

    /// <summary>The recorded activities of a job, read from the server's database directly (SQLite or PostgreSQL).</summary>
    private static async Task<long> CountActivitiesAsync(OpusServer server, string jobId)
    {
        await using var connection = await TestPostgres.OpenDatabaseAsync(server);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM prov_activities WHERE \"JobId\" = @id";
        var id = command.CreateParameter();
        id.ParameterName = "@id";
        id.Value = jobId;
        command.Parameters.Add(id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => Directory.Delete(_definitions, recursive: true);
}
