using System.Diagnostics;
using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Core.Tests.Slurm;

/// <summary>What HTTP staging submits and accepts: sbatch's arguments, the values written into the batch script, upload names.</summary>
public sealed class HttpStagingTests
{
    private static Job NewJob() => new() { Id = "abc234", Definition = "copy", DefinitionVersion = "1", ExecutionDuration = 60 };

    [Fact]
    public void A_staged_job_runs_from_a_node_folder_with_its_script_alone_and_none_of_the_servers_folders()
    {
        const string script = "#!/bin/bash\necho staged\n";
        var submission = SlurmControl.Submission(NewJob(), null, new SlurmOptions(), "/scratch", "", stagedScript: script);
        var arguments = submission.SbatchArguments();
        Assert.Contains("--chdir=/scratch", arguments);
        Assert.Contains("--output=/dev/null", arguments);
        Assert.Contains("--error=/dev/null", arguments);
        Assert.Equal(script, submission.Script);
        Assert.DoesNotContain(arguments, a => a.Contains("/data/jobs", StringComparison.Ordinal));

        Assert.False(submission.Environment.ContainsKey("HOME"));
        Assert.False(submission.Environment.ContainsKey("TMPDIR"));
        Assert.Equal("/data/jobs/abc234", SlurmControl.JobEnvironment("/data/jobs/abc234")["TMPDIR"]);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("$(touch /tmp/pwned)")]
    [InlineData("it's `id` and \"$HOME\" \\ ; | & * ? [a]")]
    [InlineData("'")]
    [InlineData("")]
    public async Task A_quoted_value_is_exactly_itself_to_bash(string value)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"x={SlurmSubmission.ShellQuote(value)}\nprintf '%s' \"$x\"");
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();
        Assert.Equal(0, bash.ExitCode);
        Assert.Equal(value, output);
    }

    [Theory]
    [InlineData("/tmp/opus-x-1", "/tmp/opus-x-1")]
    [InlineData("/scratch/with space/", "/scratch/with space")]
    public void A_node_folder_must_be_absolute_and_plain(string root, string expected) =>
        Assert.Equal(expected, HttpStaging.CheckRoot(root));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative")]
    [InlineData("/tmp/../etc")]
    [InlineData("/tmp/./x")]
    [InlineData("/tmp/a\nb")]
    public void Any_other_node_folder_is_refused(string? root) =>
        Assert.Throws<OpusValidationException>(() => HttpStaging.CheckRoot(root));
}
