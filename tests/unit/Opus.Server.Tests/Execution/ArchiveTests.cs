using System.Globalization;
using System.Net;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>Opus:Destruction=archive: at its destruction time a job is kept as ARCHIVED (UWS 1.1), its files and results gone, its record and provenance kept.</summary>
public sealed class ArchiveTests
{
    [Fact]
    public async Task A_job_past_its_destruction_time_is_ARCHIVED_listed_with_PHASE_ARCHIVED_and_keeps_its_provenance()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:Destruction"] = "archive",
        });
        var client = server.Client;
        var job = await client.CreateJobAsync("copy", ("text", "kept as a record"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        Assert.Equal("COMPLETED", (await client.WaitForEndAsync(job, Eventually.Bound)).Phase());
        var directory = server.JobDirectory(job);
        Assert.True(Directory.Exists(directory));

        var destruction = DateTime.UtcNow.AddSeconds(2).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        using (var set = await client.PostFormAsync($"{job}/destruction", ("DESTRUCTION", destruction)))
            Assert.Equal(HttpStatusCode.SeeOther, set.StatusCode);

        await Eventually.HoldsAsync(async () => (await client.GetXmlAsync(job)).Phase(), phase => phase == "ARCHIVED", $"{job} archived");
        var archived = await client.GetXmlAsync(job);
        Assert.Empty(archived.Root!.Element(UwsSchema.Uws + "results")!.Elements());
        Assert.Equal(destruction, archived.Root.Element(UwsSchema.Uws + "destruction")!.Value);
        Assert.Equal("kept as a record", archived.Root.Element(UwsSchema.Uws + "parameters")!.Element(UwsSchema.Uws + "parameter")!.Value);
        await Eventually.HoldsAsync(() => !Directory.Exists(directory), $"{directory} removed");

        // UWS 2.2: hidden from the default list, listed when asked for.
        Assert.DoesNotContain(id, await client.ListIdsAsync("/rest/copy"));
        Assert.Contains(id, await client.ListIdsAsync("/rest/copy?PHASE=ARCHIVED"));

        // The provenance outlives the files.
        using var provenance = await client.GetAsync($"/provsap?ID={id}&RESPONSEFORMAT=PROV-JSON");
        var body = await provenance.Content.ReadAsStringAsync();
        Assert.True(provenance.StatusCode == HttpStatusCode.OK, $"{(int)provenance.StatusCode} {body}");
        Assert.Contains(id, body, StringComparison.Ordinal);

        // Archived once: a later sweep leaves it as it is, and the owner may still delete it.
        using var deleted = await client.DeleteAsync(job);
        Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);
        using var gone = await client.GetAsync(job);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
