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
    public void Every_cmdlet_but_Connect_and_Get_OpusSession_takes_a_Session_and_job_cmdlets_take_a_job_object_in_a_set_of_its_own()
    {
        using var shell = module.OpenShell();
        var withoutSession = shell.Run("Get-Command -Module Opus | Where-Object { $_.Parameters['Session'].ParameterType.FullName -ne 'Opus.PowerShell.Sessions.OpusSession' } | ForEach-Object Name");
        Assert.Equal(["Connect-OpusServer", "Get-OpusSession"], withoutSession.Select(n => n.ToString()).Order());
        foreach (var name in new[] { "Get-UwsJob", "Start-UwsJob", "Stop-UwsJob", "Remove-UwsJob", "Set-UwsJob", "Wait-UwsJob", "Get-UwsJobResult", "Get-UwsJobLog", "Get-OpusProvenance" })
        {
            // The set holds -InputObject (a job by value) and no -Id or -Definition.
            var set = shell.Run("param($name) (Get-Command $name).ParameterSets | Where-Object Name -EQ InputObject | ForEach-Object { $_.Parameters | Where-Object { $_.Name -in 'InputObject', 'Id', 'Definition' } | ForEach-Object { '{0}:{1}' -f $_.Name, $_.ValueFromPipeline } }", name);
            Assert.Equal("InputObject:True", Assert.Single(set).ToString());
        }
    }

    [Fact]
    public void A_piped_job_binds_to_InputObject_and_acts_in_the_session_it_came_from_unless_Session_is_given()
    {
        using var shell = module.OpenShell();
        var first = Directory.CreateTempSubdirectory("opus-host-first-").FullName;
        var second = Directory.CreateTempSubdirectory("opus-host-second-").FullName;
        try
        {
            var definitions = Path.Combine(Opus.PowerShell.Tests.BuiltModuleFixture.RepositoryRoot, "definitions");
            shell.Run("param($first, $second, $definitions) $global:first = Connect-OpusServer -DataPath $first -DefinitionsPath $definitions; $global:second = Connect-OpusServer -DataPath $second -DefinitionsPath $definitions",
                first, second, definitions);
            var job = shell.Run("New-UwsJob -Session $first copy @{ text = 'first' }").Single();
            Assert.Equal(first, (string)shell.Run("param($job) $job.Session.Target", job).Single().BaseObject);

            // The job object binds by value to -InputObject; the default session ($second) has no such job.
            var started = shell.Run("param($job) $job | Start-UwsJob -PassThru | Wait-UwsJob -Timeout 120", job).Single();
            Assert.Equal("COMPLETED", started.Properties["Phase"].Value.ToString());
            Assert.Equal("output", shell.Run("param($job) $job | Get-UwsJobResult | ForEach-Object Name", started).Single().ToString());
            // Given as an argument rather than piped, it still acts in its own session.
            Assert.Equal(Id(job), Id(shell.Run("param($job) Get-UwsJob -InputObject $job", job).Single()));

            // The job's definition is the object's, never looked up again: a job object claiming another
            // definition is asked for in that job list, where it is not.
            using (var ps = shell.Create())
            {
                ps.AddScript("param($job) $copy = $job.psobject.BaseObject; $copy.GetType().GetProperty('Definition').SetValue($copy, 'sleep'); $job | Get-UwsJob").AddArgument(started);
                Assert.Empty(ps.Invoke());
                Assert.Equal("UwsJobNotFound,Opus.PowerShell.Cmdlets.GetUwsJobCommand", Assert.Single(ps.Streams.Error).FullyQualifiedErrorId);
            }

            // -Session wins over the session the job came from.
            using (var ps = shell.Create())
            {
                ps.AddScript("param($job) $job | Get-UwsJob -Session $second").AddArgument(job);
                Assert.Empty(ps.Invoke());
                Assert.Equal("UwsJobNotFound,Opus.PowerShell.Cmdlets.GetUwsJobCommand", Assert.Single(ps.Streams.Error).FullyQualifiedErrorId);
            }

            // Job lists carry their session too: piped by property name (-Id, -Definition, -Session).
            Assert.Equal(Id(job), Id(shell.Run("Get-UwsJob -Session $first | Get-UwsJob").Single()));
            Assert.Empty(shell.Run("Get-UwsJob"));
        }
        finally
        {
            shell.Run("Disconnect-OpusServer -Session $second; Disconnect-OpusServer -Session $first");
            Directory.Delete(first, recursive: true);
            Directory.Delete(second, recursive: true);
        }
    }

    [Fact]
    public void Get_OpusSession_lists_the_open_sessions_oldest_first_and_Current_is_the_default_of_cmdlets()
    {
        using var shell = module.OpenShell();
        var other = Directory.CreateTempSubdirectory("opus-host-other-").FullName;
        try
        {
            var opened = shell.Run("Get-OpusSession").Single();
            var definitions = Path.Combine(Opus.PowerShell.Tests.BuiltModuleFixture.RepositoryRoot, "definitions");
            var second = shell.Run("param($other, $definitions) Connect-OpusServer -DataPath $other -DefinitionsPath $definitions", other, definitions).Single();

            // Both, in the order they were opened; the last is current, and it is the session a cmdlet given none uses.
            var listed = shell.Run("Get-OpusSession");
            Assert.Equal([opened.BaseObject, second.BaseObject], listed.Select(s => s.BaseObject));
            Assert.Equal([false, true], listed.Select(s => (bool)s.Properties["IsCurrent"].Value));
            Assert.Same(second.BaseObject, shell.Run("Get-OpusSession -Current").Single().BaseObject);
            Assert.Equal(other, shell.Run("(New-UwsJob copy @{ text = 'here' }).Session.Target").Single().ToString());

            // Closing the current one makes the one before it current again; closed sessions are not listed.
            shell.Run("Get-OpusSession -Current | Disconnect-OpusServer");
            Assert.False((bool)second.Properties["IsOpen"].Value);
            Assert.Same(opened.BaseObject, shell.Run("Get-OpusSession").Single().BaseObject);
            Assert.Same(opened.BaseObject, shell.Run("Get-OpusSession -Current").Single().BaseObject);

            // Nothing open: nothing written, and no error (Run fails the test on any error record).
            shell.Run("Disconnect-OpusServer");
            Assert.Empty(shell.Run("Get-OpusSession"));
            Assert.Empty(shell.Run("Get-OpusSession -Current"));
            shell.Run("param($data) Connect-OpusServer -DataPath $data", opened.Properties["Target"].Value);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
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
                     ("Get-OpusSession", "Current UserName Remote Open Target", "system"),
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
        Assert.Equal(24, names.Count);
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
