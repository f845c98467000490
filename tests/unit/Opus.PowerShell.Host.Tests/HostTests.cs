using System.Collections;
using System.Management.Automation;

namespace Opus.PowerShell.Host.Tests;

/// <summary>
/// What only a PowerShell host can show, in the real engine (Microsoft.PowerShell.SDK) hosting the built
/// module in this process: binding, streaming, ShouldProcess, error records, progress, Ctrl+C, tab
/// completion, format views and help.
/// </summary>
public sealed class HostTests(HostedModule module) : IClassFixture<HostedModule>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private static string Id(PSObject job) => (string)job.Properties["Id"].Value;

    [Fact]
    public void Parameters_bind_from_the_pipeline_by_value_and_by_property_name()
    {
        using var shell = module.OpenShell();
        // Hashtables by value into -Parameter.
        var jobs = shell.Run("1..3 | ForEach-Object { @{ text = \"line $_\" } } | New-UwsJob copy");
        Assert.Equal(3, jobs.Count);
        var ids = jobs.Select(Id).ToArray();
        Assert.Equal(3, ids.Distinct().Count());

        // Strings by value into -Id; objects by property name into -Id and -Definition.
        Assert.Equal(ids, shell.Run("param($ids) $ids | Get-UwsJob", (object)ids).Select(Id));
        Assert.Equal(ids, shell.Run("param($ids) $ids | ForEach-Object { [pscustomobject]@{ Id = $_; Definition = 'copy' } } | Get-UwsJob", (object)ids).Select(Id));
        // A job object by property name into another cmdlet: its results.
        var started = shell.Run("New-UwsJob copy @{ text = 'bound' } -Start | Wait-UwsJob -Timeout 120 | Get-UwsJobResult");
        Assert.Equal("output", (string)Assert.Single(started).Properties["Name"].Value);
    }

    [Fact]
    public void Two_hundred_jobs_stream_through_the_pipeline_one_at_a_time()
    {
        using var shell = module.OpenShell();
        // Each object goes through on its own: once Select-Object has the first job, the commands before it
        // stop, and the 199 other parameter sets never become jobs.
        var first = shell.Run("1..200 | ForEach-Object { @{ text = \"$_\" } } | New-UwsJob copy | Select-Object -First 1");
        Assert.Equal(Id(Assert.Single(first)), Id(Assert.Single(shell.Run("Get-UwsJob"))));

        // All 200 through three commands, in order.
        var jobs = shell.Run("1..200 | ForEach-Object { @{ text = \"$_\" } } | New-UwsJob copy | Get-UwsJob");
        Assert.Equal(200, jobs.Select(Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            shell.Run("param($jobs) $jobs | ForEach-Object { ($_.Parameters | Where-Object Name -EQ text).Value }", jobs).Select(v => v.ToString()));
    }

    [Fact]
    public void WhatIf_shows_the_operation_on_the_console_and_Confirm_asks_and_obeys()
    {
        using var shell = module.OpenShell();
        var id = Id(shell.Run("New-UwsJob copy @{ text = 'kept' }").Single());

        shell.Run("param($id) Remove-UwsJob $id -WhatIf", id);
        Assert.Contains($"What if: Performing the operation \"Remove: abort it if it runs, delete its files and its record\" on target \"UWS job {id} (copy)\".", shell.Host.Console);
        Assert.Single(shell.Run("param($id) Get-UwsJob $id", id));

        // Removal asks by default (ConfirmImpact High): No keeps the job, Yes removes it.
        shell.Host.Answers.Enqueue("No");
        shell.Run("param($id) Remove-UwsJob $id", id);
        Assert.Contains($"UWS job {id} (copy)", Assert.Single(shell.Host.Prompts));
        Assert.Single(shell.Run("param($id) Get-UwsJob $id", id));
        shell.Host.Answers.Enqueue("Yes");
        shell.Run("param($id) Remove-UwsJob $id", id);
        Assert.Equal(2, shell.Host.Prompts.Count);
        Assert.Empty(shell.Run("param($id) Get-UwsJob $id -ErrorAction SilentlyContinue", id));

        // -Confirm on a change that does not ask by default.
        var other = Id(shell.Run("New-UwsJob copy @{ text = 'not started' }").Single());
        shell.Host.Answers.Enqueue("No");
        shell.Run("param($id) Start-UwsJob $id -Confirm", other);
        Assert.Equal(3, shell.Host.Prompts.Count);
        Assert.Equal("PENDING", shell.Run("param($id) (Get-UwsJob $id).Phase.ToString()", other).Single().ToString());
    }

    [Fact]
    public void Failures_are_error_records_with_stable_ids_categories_and_targets()
    {
        using var shell = module.OpenShell();
        using var ps = shell.Create();
        ps.AddScript("Get-UwsJob nosuchjob; Get-OpusUser nobody; New-UwsJob copy @{ nosuchparameter = 1 }; 'after'");
        var output = ps.Invoke();
        // Non-terminating: the script goes on after each.
        Assert.Equal("after", output.Last().ToString());
        var errors = ps.Streams.Error.ToList();
        Assert.Equal(3, errors.Count);
        Assert.Equal("UwsJobNotFound,Opus.PowerShell.Cmdlets.GetUwsJobCommand", errors[0].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, errors[0].CategoryInfo.Category);
        Assert.Equal("nosuchjob", errors[0].TargetObject?.ToString());
        Assert.Equal("OpusUserNotFound,Opus.PowerShell.Cmdlets.GetOpusUserCommand", errors[1].FullyQualifiedErrorId);
        Assert.StartsWith("InvalidUwsJob,", errors[2].FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, errors[2].CategoryInfo.Category);
        foreach (var error in errors)
            Assert.DoesNotContain("   at ", error.ToString());

        // -ErrorAction Stop makes the same record terminating.
        using var stop = shell.Create();
        stop.AddScript("Get-UwsJob nosuchjob -ErrorAction Stop; 'not reached'");
        var thrown = Assert.Throws<ActionPreferenceStopException>(() => stop.Invoke());
        Assert.Equal("UwsJobNotFound,Opus.PowerShell.Cmdlets.GetUwsJobCommand", thrown.ErrorRecord.FullyQualifiedErrorId);
    }

    [Fact]
    public void Wait_UwsJob_reports_progress_and_completes_it()
    {
        using var shell = module.OpenShell();
        using var ps = shell.Create();
        ps.AddScript("New-UwsJob sleep @{ seconds = 2 } -Start | Wait-UwsJob -Timeout 300");
        var job = Assert.Single(ps.Invoke());
        Assert.Equal("COMPLETED", job.Properties["Phase"].Value.ToString());
        var records = ps.Streams.Progress.ToList();
        Assert.True(records.Count >= 2, $"{records.Count} progress records");
        Assert.All(records, r => Assert.Equal($"Waiting for UWS job {Id(job)} (sleep)", r.Activity));
        Assert.Contains(records.SkipLast(1), r => r.RecordType == ProgressRecordType.Processing && r.StatusDescription.Contains("waited", StringComparison.Ordinal));
        Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
        Assert.Equal(100, records[^1].PercentComplete);
    }

    [Fact]
    public async Task Ctrl_C_stops_a_long_Wait_UwsJob_and_leaves_the_job_running()
    {
        using var shell = module.OpenShell();
        var id = Id(shell.Run("New-UwsJob sleep @{ seconds = 600 } -Start").Single());
        using var ps = shell.Create();
        ps.AddCommand("Wait-UwsJob").AddParameter("Id", id);
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ps.Streams.Progress.DataAdded += (_, _) => waiting.TrySetResult();
        var running = ps.BeginInvoke();
        await waiting.Task.WaitAsync(Patience);

        // What Ctrl+C does: stop the pipeline, which calls the cmdlet's StopProcessing.
        await Task.Run(ps.Stop).WaitAsync(Patience);
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(running));
        Assert.Contains(shell.Run("param($id) (Get-UwsJob $id).Phase.ToString()", id).Single().ToString(), new[] { "QUEUED", "EXECUTING" });
        shell.Run("param($id) Stop-UwsJob $id", id);
    }

    [Theory]
    [InlineData("Get-ActivityDescription co", "copy")]
    [InlineData("Get-UwsJob -Phase EXE", "EXECUTING")]
    [InlineData("New-UwsJob sl", "sleep")]
    [InlineData("Get-UwsJo", "Get-UwsJob")]
    public void Tab_completes_through_TabExpansion2(string line, string expected)
    {
        using var shell = module.OpenShell();
        var completion = (CommandCompletion)shell.Run("param($line) TabExpansion2 -inputScript $line -cursorColumn $line.Length", line).Single().BaseObject;
        var texts = completion.CompletionMatches.Select(m => m.CompletionText).ToList();
        Assert.Contains(expected, texts);
        Assert.All(texts, t => Assert.StartsWith(line.Split(' ')[^1], t, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Format_views_render_as_tables_with_every_column_in_120_characters()
    {
        using var shell = module.OpenShell();
        var id = Id(shell.Run("New-UwsJob copy @{ text = 'shown' }").Single());
        shell.Run("New-OpusUser annabelle -Role copy -Email annabelle@observatory.example -ExternalId f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
        foreach (var (script, header, value) in new[]
                 {
                     ("param($id) Get-UwsJob $id", "Id Definition Phase RunId CreationTime EndTime Results", id),
                     ("Get-UwsJob", "Id Definition Phase RunId Owner CreationTime", id),
                     ("Get-ActivityDescription copy", "Name Version Type Parameters Description", "copy"),
                     ("Get-OpusUser annabelle", "UserName Active Roles Email LastSeenAt ExternalId", "f81d4fae-7dec-41d0-a765-00a0c91e6bf6"),
                 })
        {
            var text = shell.Run($"param($id) & {{ {script} }} $id | Out-String -Width 120", id).Single().ToString();
            var lines = text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
            Assert.All(lines, l => Assert.True(l.Length <= 120, l));
            Assert.Equal(header, string.Join(' ', lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            Assert.Matches(@"^[- ]+$", lines[1]);
            Assert.Contains(value, text);
        }
    }

    [Fact]
    public void Get_Help_Full_documents_every_cmdlet_its_parameters_and_examples()
    {
        using var shell = module.OpenShell();
        var names = shell.Run("(Get-Module Opus).ExportedCmdlets.Keys").Select(n => n.ToString()).ToList();
        Assert.Equal(23, names.Count);
        foreach (var name in names)
        {
            var full = shell.Run("param($name) Get-Help $name -Full | Out-String -Width 200", name).Single().ToString();
            var synopsis = shell.Run("param($name) (Get-Help $name).Synopsis", name).Single().ToString().Trim();
            // Without MAML, PowerShell makes the synopsis from the syntax line.
            Assert.False(synopsis.StartsWith(name, StringComparison.Ordinal), $"{name} has no written synopsis: {synopsis}");
            Assert.Contains(synopsis, full);
            Assert.Contains("-- Example 1 --", full);
            var parameters = shell.Run("param($name) (Get-Command $name).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }", name)
                .Select(p => p.ToString());
            foreach (var parameter in parameters)
            {
                // Its entry in PARAMETERS: "    -Uri <Uri>", or a switch alone, "    -PassThru".
                Assert.Matches($@"(?m)^\s+-{parameter}( <.*>)?\s*$", full);
                var description = shell.Run("param($name, $parameter) (Get-Help $name -Parameter $parameter).description.Text -join ' '", name, parameter).Single().ToString();
                Assert.False(string.IsNullOrWhiteSpace(description), $"{name} -{parameter} has no description");
            }
        }
    }
}
