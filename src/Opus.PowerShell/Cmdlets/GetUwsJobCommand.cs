using System.Management.Automation;
using Opus.Core.Uws;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets UWS jobs: one job by id, or job lists filtered by phase, creation time and count.</para>
/// <para type="description">With -Id, the whole job (parameters, results, error). Otherwise job references from the job list of -Definition, or from every job list the session may use, newest first (UWS PHASE, AFTER and LAST). Both carry Definition and Id, so they pipe into the other *-UwsJob cmdlets.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase COMPLETED | Get-UwsJobResult -Destination ./out</code>
/// <para>Downloads the results of every completed copy job into ./out/JOBID/.</para>
/// </example>
/// <example>
/// <code>Get-UwsJob -Last 5</code>
/// <para>The five newest jobs of every job list.</para>
/// </example>
/// <example>
/// <code>Get-UwsJob 3kq5xj2mgd7q4wb6ouwqdfk7ia | Format-List</code>
/// <para>One job with all its fields.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "UwsJob", DefaultParameterSetName = ListSet)]
[OutputType(typeof(UwsJobRef), ParameterSetName = new[] { ListSet })]
[OutputType(typeof(UwsJob), ParameterSetName = new[] { IdSet, JobSet })]
public sealed class GetUwsJobCommand : OpusSessionCmdlet
{
    private const string ListSet = "List";
    private const string IdSet = "Id";
    private const string JobSet = "InputObject";

    /// <summary><para type="description">Job ids; the whole job of each is written.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <summary><para type="description">A job object: the job as it is now, from the session the object came from unless -Session is given (its definition is not looked up again).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = JobSet, ValueFromPipeline = true)]
    public UwsJob? InputObject { get; set; }

    /// <summary><para type="description">The job list (definition name); every list the session may use when absent.</para></summary>
    // Only the Id set takes it from the pipeline: were the list set to take it too, a job piped in
    // (Id and Definition) would bind to the default list set and list every job of its definition.
    [Parameter(ParameterSetName = ListSet)]
    [Parameter(ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    public string? Definition { get; set; }

    /// <summary><para type="description">Only jobs in one of these phases (archived jobs are listed only when asked for).</para></summary>
    [Parameter(ParameterSetName = ListSet)]
    [ArgumentCompleter(typeof(PhaseCompleter))]
    public string[]? Phase { get; set; }

    /// <summary><para type="description">Only jobs created after this time.</para></summary>
    [Parameter(ParameterSetName = ListSet)]
    public DateTime? After { get; set; }

    /// <summary><para type="description">Only the newest N jobs.</para></summary>
    [Parameter(ParameterSetName = ListSet)]
    public int? Last { get; set; }

    /// <summary><para type="description">The session to work in (from Connect-OpusServer); when absent, the session a piped job came from, else the last connected, else $env:OPUS_DATA opened locally.</para></summary>
    // Not from the pipeline in the list set: a job piped in would otherwise bind its session alone to
    // that default set, and its id by value as text instead of by property name.
    [Parameter(ParameterSetName = ListSet)]
    [Parameter(ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = JobSet, ValueFromPipelineByPropertyName = true)]
    public override Sessions.OpusSession? Session { get; set; }

    /// <summary>Writes the jobs asked for by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        if (InputObject is { } given)
        {
            var origin = UsedSession(given);
            if (TryRun(ct => origin.Client.GetJobAsync(given.Definition, given.Id, ct), "UwsJob", given.Id, out var job))
                WriteFrom(origin, job);
            return;
        }

        var session = UsedSession();
        if (ParameterSetName == IdSet)
        {
            foreach (var id in Id)
            {
                if (TryRun(ct => session.Client.GetJobAsync(Definition, id, ct), "UwsJob", id, out var job))
                    WriteFrom(session, job);
            }

            return;
        }

        var (query, error) = JobListPlan.Decide(Definition, Phase, After, Last);
        if (error is not null)
        {
            WriteError(error, Phase);
            return;
        }

        if (TryRun(async ct =>
            {
                var jobs = new List<UwsJobRef>();
                await foreach (var job in session.Client.ListJobsAsync(query!, ct))
                    jobs.Add(job);
                return jobs;
            }, "UwsJob", Definition, out var list))
        {
            foreach (var job in list)
                WriteFrom(session, job);
        }
    }
}
