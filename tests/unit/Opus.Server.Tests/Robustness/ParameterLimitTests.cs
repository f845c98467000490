using System.Net;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Robustness.RobustnessSteps;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// Issue 13, item 6: a parameter reaches the script as an environment variable, which Linux limits to
/// 128 KiB with its name (MAX_ARG_STRLEN); a longer value is refused at once, naming the limit, rather
/// than failing the job. And a failed job's error never shows the server's paths.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ParameterLimitTests(ServerFixture fixture)
{
    // 128 KiB less "text=" and the terminating NUL.
    private const int LargestText = 128 * 1024 - 6;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_value_over_what_an_environment_variable_carries_is_a_400_naming_the_limit_and_stores_nothing()
    {
        var before = (await Client.GetJobListAsync("copy")).JobRefIds();

        using var created = await Client.PostFormAsync("/rest/copy", ("text", new string('a', 131_100)), ("PHASE", "RUN"));
        await AssertOneLineAsync(created, HttpStatusCode.BadRequest, "'text'", "131,100 bytes", "131,066", "environment variable", "file");
        Assert.Equal(before, (await Client.GetJobListAsync("copy")).JobRefIds());

        // A PENDING job's value is held to the same limit, and keeps its own.
        var job = await Client.CreateJobAsync("copy", ("text", "small"));
        using var set = await Client.PostFormAsync($"{job}/parameters", ("text", new string('b', LargestText + 1)));
        await AssertOneLineAsync(set, HttpStatusCode.BadRequest, "'text'", "131,067 bytes");
        Assert.Equal("small", await Client.GetTextAsync($"{job}/parameters/text"));
        await Client.DestroyQuietlyAsync(job);
    }

    [Fact]
    public async Task The_largest_value_an_environment_variable_carries_reaches_the_script_whole()
    {
        var text = new string('c', LargestText - 32) + Guid.NewGuid().ToString("N");

        var job = await Client.CreateJobAsync("copy", ("text", text), ("PHASE", "RUN"));
        var done = await Client.WaitForFinalPhaseAsync(job);

        Assert.True(done.Phase() == "COMPLETED", $"{job}: {done.Phase()} {done.Root!.Element(U("errorSummary"))?.Value}");
        Assert.Equal(text, await Client.GetTextAsync($"{job}/results/output"));
        await Client.DestroyQuietlyAsync(job);
    }

    [Fact]
    public async Task A_failed_jobs_error_summary_and_error_show_no_server_path()
    {
        using var admin = fixture.Server.AdminClient();
        var name = $"pathless-{Guid.NewGuid():N}"[..20];
        await admin.ProposeAsync(name, $$"""
            name: {{name}}
            version: "1.0"
            description: Fails naming its files by their absolute paths.
            executionDuration: 60
            script: |
              echo "see $OPUS_JOB_DIR/runner.log" >&2
              cat "$PWD/missing.txt"
              exit 4
            """, publish: true);

        var job = await admin.CreateJobAsync(name, ("PHASE", "RUN"));
        var done = await admin.WaitForFinalPhaseAsync(job);

        Assert.Equal("ERROR", done.Phase());
        var summary = done.Root!.Element(U("errorSummary"))!.Element(U("message"))!.Value;
        var error = await admin.GetTextAsync($"{job}/error");
        foreach (var text in new[] { summary, error })
        {
            Assert.DoesNotContain(fixture.Server.DataPath, text);
            Assert.Contains("missing.txt: No such file or directory", text);
            Assert.Contains("see ../runner.log", text);
        }

        Assert.StartsWith("the script exited with status 4", summary);
        await admin.DestroyQuietlyAsync(job);
    }
}
