using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Core.Tests;

public sealed class SmallPartsTests
{
    [Fact]
    public void Runner_events_parse_and_reject_junk()
    {
        var report = RunnerEvent.Parse("1763731800.250000 ERROR 3");
        Assert.NotNull(report);
        Assert.Equal(JobPhase.ERROR, report.Phase);
        Assert.Equal(3, report.ExitCode);
        Assert.Equal(new DateTime(2025, 11, 21, 13, 30, 0, 250, DateTimeKind.Utc), report.Time);
        Assert.Equal(JobPhase.EXECUTING, RunnerEvent.Parse("1763731800.1 EXECUTING ")!.Phase);
        Assert.Null(RunnerEvent.Parse("1763731800 ABORTED"));
        Assert.Null(RunnerEvent.Parse("soon COMPLETED 0"));
        Assert.Null(RunnerEvent.Parse(""));
    }

    [Theory]
    [InlineData("2026-01-31T12:00:00Z", "2026-01-31T12:00:00.000Z")]
    [InlineData("2026-01-31T12:00:00.5Z", "2026-01-31T12:00:00.500Z")]
    [InlineData("2026-01-31T13:00:00+01:00", "2026-01-31T12:00:00.000Z")]
    [InlineData("2026-01-31T12:00:00", "2026-01-31T12:00:00.000Z")]
    [InlineData("2026-01-31", "2026-01-31T00:00:00.000Z")]
    public void Uws_times_are_read_as_utc_and_written_with_Z(string text, string expected) =>
        Assert.Equal(expected, UwsTime.Format(UwsTime.Parse(text)!.Value));

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("31/01/2026")]
    [InlineData("")]
    public void Malformed_times_are_null(string text) => Assert.Null(UwsTime.Parse(text));

    [Fact]
    public void Job_ids_are_long_random_and_url_safe()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => JobService.NewJobId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[a-z2-7]{26}$", id));
    }

    [Fact]
    public void Phase_names_parse_case_insensitively_and_only_as_names()
    {
        Assert.Equal(JobPhase.COMPLETED, JobPhases.Parse("completed"));
        Assert.Null(JobPhases.Parse("3"));
        Assert.Null(JobPhases.Parse("DONE"));
    }
}
