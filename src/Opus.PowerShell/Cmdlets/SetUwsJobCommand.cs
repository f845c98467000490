using System.Collections;
using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Changes a UWS job: parameters and execution duration while it is PENDING, destruction time at any time.</para>
/// <para type="description">Parameters given replace the job's values of those parameters; others keep theirs. Inputs are fixed when the job is created.</para>
/// </summary>
/// <example>
/// <code>Set-UwsJob 3kq5xj2mgd7q4wb6ouwqdfk7ia -Parameter @{ text = 'bonjour' } -ExecutionDuration 30 -PassThru</code>
/// <para>Changes a pending job's parameter and time limit and shows the job.</para>
/// </example>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase COMPLETED | Set-UwsJob -Destruction (Get-Date).AddDays(30)</code>
/// <para>Keeps every completed copy job for 30 more days (within the server's limit).</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "UwsJob", DefaultParameterSetName = IdSet, SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class SetUwsJobCommand : UwsJobCmdlet
{
    /// <summary><para type="description">New parameter values (only while PENDING).</para></summary>
    [Parameter]
    public Hashtable? Parameter { get; set; }

    /// <summary><para type="description">New execution duration in seconds (only while PENDING).</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? ExecutionDuration { get; set; }

    /// <summary><para type="description">New destruction time (within the server's limit).</para></summary>
    [Parameter]
    public DateTime? Destruction { get; set; }

    /// <summary><para type="description">Write the job out after changing it.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Changes the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (values, files, error) = ParameterValues.From(Parameter, Unwrap);
        if (error is null && files.Count > 0)
            error = OpusError.Argument("InvalidUwsJobParameter", "inputs are set when a job is created; create a new job to give other files");
        if (error is not null)
        {
            WriteError(error, Parameter);
            return;
        }

        var changes = new JobChanges(values, ExecutionDuration, Destruction);
        var (target, action) = ShouldProcessText.SetJob(KnownDefinition, JobId, changes);
        if (!ShouldProcess(target, action))
            return;
        var session = JobSession();
        if (TryRun(async ct => await session.Client.UpdateJobAsync(await DefinitionAsync(session.Client, ct), JobId, changes, ct), "UwsJob", JobId, out var job) && PassThru)
            WriteFrom(session, job);
    }
}
