using System.Management.Automation;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets what a UWS job's script wrote to standard output or standard error.</para>
/// <para type="description">Writes the log as lines (one string per line, so it pipes into Select-String), or as one string with -Raw. A job that wrote nothing, or has not started, has an empty log.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJobLog 3kq5xj2mgd7q4wb6ouwqdfk7ia -Stream Stderr | Select-String error</code>
/// <para>The lines of a job's standard error that mention "error".</para>
/// </example>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase ERROR | Get-UwsJobLog -Stream Stderr -Raw</code>
/// <para>The standard error of every failed copy job, one string per job.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "UwsJobLog", DefaultParameterSetName = IdSet)]
[OutputType(typeof(string))]
public sealed class GetUwsJobLogCommand : UwsJobCmdlet
{
    /// <summary><para type="description">Stdout (the default) or Stderr.</para></summary>
    [Parameter]
    [ValidateSet("Stdout", "Stderr")]
    public string Stream { get; set; } = "Stdout";

    /// <summary><para type="description">Write the log as one string instead of lines.</para></summary>
    [Parameter]
    public SwitchParameter Raw { get; set; }

    /// <summary>Writes the log of the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = JobSession();
        var log = Stream.Equals("Stderr", StringComparison.OrdinalIgnoreCase) ? JobLog.Stderr : JobLog.Stdout;
        if (!TryRun(async ct => await session.Client.ReadLogAsync(await DefinitionAsync(session.Client, ct), JobId, log, ct), "UwsJobLog", JobId, out var text))
            return;
        if (Raw)
            WriteObject(text);
        else if (text.Length > 0)
            WriteObject(text.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')), enumerateCollection: true);
    }
}
