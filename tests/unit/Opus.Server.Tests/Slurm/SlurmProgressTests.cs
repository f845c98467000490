using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Staging;

namespace Opus.Server.Tests.Slurm;

/// <summary>opus_progress on the SLURM node, the job folder shared with the server: seen while the job runs.</summary>
public sealed class SlurmProgressTests(SlurmServerFixture fixture) : IClassFixture<SlurmServerFixture>
{
    [Fact]
    public Task A_scripts_progress_on_the_node_reaches_the_job_document_while_it_runs() =>
        SlurmProgress.RunAsync(fixture.Server);
}

/// <summary>opus_progress on the SLURM node with HTTP staging (no shared folder): seen while the job runs.</summary>
public sealed class SlurmHttpStagingProgressTests(HttpStagingFixture fixture) : IClassFixture<HttpStagingFixture>
{
    [Fact]
    public Task A_scripts_progress_on_the_node_reaches_the_job_document_while_it_runs() =>
        SlurmProgress.RunAsync(fixture.Server);
}

internal static class SlurmProgress
{
    private const string Definition = "slurm-progress";

    private static readonly string Yaml = $$"""
        name: {{Definition}}
        version: "1"
        description: Reports its progress, then waits for the test's gate.
        executionDuration: 600
        parameters:
          - name: gate
            type: xs:string
            required: true
        script: |
          opus_progress 55 "on the node: $SLURM_JOB_ID"
          {{Gate.WaitCommand("\"$gate\"")}}
        """;

    public static async Task RunAsync(OpusServer server)
    {
        await StagingSteps.PublishAsync(server, Definition, Yaml);
        var client = server.Client;
        using var gate = new Gate();
        var job = await client.CreateJobAsync(Definition, ("gate", gate.FilePath), ("PHASE", "RUN"));

        var running = await Eventually.HoldsAsync(() => client.GetXmlAsync(job), d => ProgressTests.ProgressOf(d) is not null || JobSteps.IsFinal(d.Phase()),
            "the progress in the job document");
        Assert.True(running.Phase() == "EXECUTING", $"{running.Phase()}: {running.ErrorMessage()}\n{server.Log}");
        var slurmId = (await SlurmCluster.StateOfAsync(JobSteps.JobId(job)))?.SlurmId;
        Assert.Equal((55, $"on the node: {slurmId}"), ProgressTests.ProgressOf(running));

        gate.Open();
        var done = await client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{server.Log}");
        Assert.Equal((55, $"on the node: {slurmId}"), ProgressTests.ProgressOf(done));
    }
}
