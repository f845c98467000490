using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Uws;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// A cmdlet that acts on one job at a time, named by -Id (and -Definition, found from the id when absent)
/// or given as a job object (-InputObject, from the pipeline), whose definition and session it uses as they are.
/// </summary>
public abstract class UwsJobCmdlet : OpusSessionCmdlet
{
    private protected const string IdSet = "Id";
    private protected const string JobSet = "InputObject";

    /// <summary><para type="description">The job id.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobId")]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary><para type="description">The job's definition (job list); found from the id when absent.</para></summary>
    [Parameter(ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    public string? Definition { get; set; }

    /// <summary><para type="description">A job object (from New-UwsJob, Get-UwsJob -Id, Wait-UwsJob...): its definition is not looked up again, and it is acted on in the session it came from unless -Session is given.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = JobSet, ValueFromPipeline = true)]
    public UwsJob? InputObject { get; set; }

    /// <summary>The id of the job of this pipeline input.</summary>
    private protected string JobId => InputObject?.Id ?? Id;

    /// <summary>The job's definition when known without asking (a job object, or -Definition).</summary>
    private protected string? KnownDefinition => InputObject?.Definition ?? Definition;

    /// <summary>The session of the job of this pipeline input.</summary>
    private protected OpusSession JobSession() => UsedSession(InputObject);

    /// <summary>The job's definition: known, or found from its id in <paramref name="client"/>.</summary>
    private protected async Task<string> DefinitionAsync(IOpusSession client, CancellationToken cancellationToken) =>
        KnownDefinition ?? (await client.GetJobAsync(null, JobId, cancellationToken)).Definition;
}
