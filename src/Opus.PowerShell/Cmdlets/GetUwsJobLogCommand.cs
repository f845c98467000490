using System.Management.Automation;
using Opus.Core.Client;
using Opus.PowerShell.Completers;

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
[Cmdlet(VerbsCommon.Get, "UwsJobLog")]
[OutputType(typeof(string))]
public sealed class GetUwsJobLogCommand : OpusCmdlet
{
    /// <summary><para type="description">The job id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobId")]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary><para type="description">The job's definition (job list); found from the id when absent.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    public string? Definition { get; set; }

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
        var session = Session;
        var log = Stream.Equals("Stderr", StringComparison.OrdinalIgnoreCase) ? JobLog.Stderr : JobLog.Stdout;
        if (!TryRun(async ct => await session.ReadLogAsync(Definition ?? (await session.GetJobAsync(null, Id, ct)).Definition, Id, log, ct), "UwsJobLog", Id, out var text))
            return;
        if (Raw)
            WriteObject(text);
        else if (text.Length > 0)
            WriteObject(text.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r')), enumerateCollection: true);
    }
}
