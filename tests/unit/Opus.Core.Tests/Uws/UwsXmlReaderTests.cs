using Opus.Core.Jobs;
using Opus.Core.Uws;

namespace Opus.Core.Tests.Uws;

/// <summary>The UWS reader a remote session uses reads back what the server's writer writes.</summary>
public sealed class UwsXmlReaderTests
{
    private static readonly DateTime Created = new(2026, 3, 1, 12, 0, 0, 123, DateTimeKind.Utc);

    [Fact]
    public void A_job_document_reads_back_with_parameters_results_and_error()
    {
        var job = new Job
        {
            Id = "abc", Definition = "copy", DefinitionVersion = "1.0", RunId = "run-1", Owner = null, Phase = JobPhase.ERROR,
            CreationTime = Created, StartTime = Created.AddSeconds(1), EndTime = Created.AddSeconds(2), ExecutionDuration = 60,
            Destruction = Created.AddDays(7), ErrorMessage = "the script exited with status 3", ErrorType = "fatal",
            Parameters = [new("text", "héllo"), new("image", new string('a', 64), ByReference: true)],
            Results = [new("output", "out/output.txt", new string('b', 64), 5, "text/plain")],
        };
        var bytes = UwsXml.Render(xml => UwsXml.WriteJob(xml, job, "http://host/rest/copy/abc"));
        var read = UwsXmlReader.ReadJob(new MemoryStream(bytes), "copy");

        Assert.Equal(("copy", "abc", "run-1", null, JobPhase.ERROR), (read.Definition, read.Id, read.RunId, read.Owner, read.Phase));
        Assert.Equal("1.0", read.DefinitionVersion);
        Assert.Equal((Created, Created.AddSeconds(1), Created.AddSeconds(2), 60), (read.CreationTime, read.StartTime, read.EndTime, read.ExecutionDuration));
        Assert.Equal(("the script exited with status 3", "fatal"), (read.ErrorMessage, read.ErrorType));
        Assert.Equal(new JobParameter("text", "héllo"), read.Parameters[0]);
        Assert.True(read.Parameters[1].ByReference);
        var result = Assert.Single(read.Results);
        Assert.Equal(new UwsResult("copy", "abc", "output", "out/output.txt", 5, "text/plain", new string('b', 64), "http://host/rest/copy/abc/results/output"), result);
        Assert.Null(read.Quote);
    }

    [Fact]
    public async Task A_job_list_reads_back_as_references_of_its_list()
    {
        var summaries = new[] { new JobSummary("j1", JobPhase.COMPLETED, "r", "alice", Created), new JobSummary("j2", JobPhase.PENDING, null, null, Created.AddSeconds(-1)) };
        using var stream = new MemoryStream();
        await UwsXml.WriteJobListAsync(stream, summaries.ToAsyncEnumerable(), "http://host/rest/copy", showOwner: true);
        stream.Position = 0;
        var list = UwsXmlReader.ReadJobList(stream, "copy");
        Assert.Equal([new UwsJobRef("copy", "j1", JobPhase.COMPLETED, "r", "alice", Created), new UwsJobRef("copy", "j2", JobPhase.PENDING, null, null, Created.AddSeconds(-1))], list);
    }

    [Fact]
    public void A_results_document_reads_back()
    {
        var job = new Job { Id = "abc", Definition = "copy", DefinitionVersion = "1", Results = [new("report", "report.txt", new string('c', 64), 12, "text/plain")] };
        var bytes = UwsXml.Render(xml => UwsXml.WriteResults(xml, job, "http://host/rest/copy/abc"));
        Assert.Equal("report", Assert.Single(UwsXmlReader.ReadResults(new MemoryStream(bytes), "copy", "abc")).Name);
    }

    [Fact]
    public void A_document_that_is_not_UWS_is_invalid_data_saying_what_it_is()
    {
        var error = Assert.Throws<InvalidDataException>(() => UwsXmlReader.ReadJob(new MemoryStream("<html><body/></html>"u8.ToArray()), "copy"));
        Assert.Contains("<html>", error.Message);
        Assert.Throws<InvalidDataException>(() => UwsXmlReader.ReadJob(new MemoryStream("not xml"u8.ToArray()), "copy"));
    }
}
