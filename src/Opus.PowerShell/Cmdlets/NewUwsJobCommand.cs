using System.Collections;
using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Uws;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a UWS job of a job definition, and starts it with -Start.</para>
/// <para type="description">The job is created in PENDING with the parameters given (names as the definition declares them; arrays give a parameter several values; FileInfo values and -InputFile upload files for inputs). With -Start it is queued at once (PHASE=RUN). Each hashtable piped in creates one job.</para>
/// </summary>
/// <example>
/// <code>New-UwsJob copy @{ text = 'hello' } -Start | Wait-UwsJob</code>
/// <para>Creates and starts a copy job, then waits for it to end.</para>
/// </example>
/// <example>
/// <code>1..3 | ForEach-Object { @{ seconds = $_ } } | New-UwsJob sleep -RunId batch-7 -Start</code>
/// <para>Creates three sleep jobs from the pipeline, tagged with a run id.</para>
/// </example>
/// <example>
/// <code>New-UwsJob calibrate -InputFile @{ image = './m31.fits' } -ExecutionDuration 600 -Destruction (Get-Date).AddDays(2)</code>
/// <para>Uploads a file for the input 'image' and sets the time limit and destruction time.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "UwsJob", SupportsShouldProcess = true)]
[OutputType(typeof(UwsJob))]
public sealed class NewUwsJobCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">The job definition (job list) name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Definition { get; set; } = "";

    /// <summary><para type="description">Job parameters: names and values; an array gives several values, a FileInfo uploads the file.</para></summary>
    [Parameter(Position = 1, ValueFromPipeline = true)]
    public Hashtable? Parameter { get; set; }

    /// <summary><para type="description">Files to upload, by input name: a path, or several paths for inputs that take several files.</para></summary>
    [Parameter]
    public Hashtable? InputFile { get; set; }

    /// <summary><para type="description">A tag for the job (UWS RUNID), e.g. to find a batch again.</para></summary>
    [Parameter]
    public string? RunId { get; set; }

    /// <summary><para type="description">Seconds the job may run (0 = the server's longest); the definition's default when absent.</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? ExecutionDuration { get; set; }

    /// <summary><para type="description">When the job and its results are destroyed (within the server's limit).</para></summary>
    [Parameter]
    public DateTime? Destruction { get; set; }

    /// <summary><para type="description">Queue the job at once (PHASE=RUN).</para></summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    /// <summary>Creates one job for each pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var (values, files, error) = ParameterValues.From(Parameter, Unwrap);
        if (error is not null)
        {
            WriteError(error, Parameter);
            return;
        }

        files.AddRange(ParameterValues.Files(InputFiles()));
        var (target, action) = ShouldProcessText.NewJob(Definition, values, files, Start);
        if (!ShouldProcess(target, action))
            return;
        var request = new JobRequest(Definition)
        {
            Parameters = values,
            Files = files,
            RunId = RunId,
            ExecutionDuration = ExecutionDuration,
            Destruction = Destruction,
            Start = Start,
        };
        var session = UsedSession();
        if (TryRun(ct => session.Client.CreateJobAsync(request, ct), "UwsJob", Definition, out var job))
            WriteFrom(session, job);
    }

    private IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> InputFiles()
    {
        foreach (DictionaryEntry entry in InputFile ?? new Hashtable())
        {
            var value = Unwrap(entry.Value);
            var paths = (value is IEnumerable many and not string ? many.Cast<object?>() : [value])
                .Select(p => Unwrap(p) is FileInfo file ? file.FullName : GetUnresolvedProviderPathFromPSPath(Convert.ToString(Unwrap(p), System.Globalization.CultureInfo.InvariantCulture) ?? ""))
                .ToList();
            yield return new(Convert.ToString(Unwrap(entry.Key), System.Globalization.CultureInfo.InvariantCulture) ?? "", paths);
        }
    }
}
