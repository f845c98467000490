using System.Management.Automation;
using Opus.Core.Jobs;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the results of UWS jobs, or downloads them with -Destination.</para>
/// <para type="description">Without -Destination, writes a result object per result (name, file name, size, media type, SHA-256). With -Destination, downloads each result to DESTINATION/JOBID/FILENAME with a progress bar and writes the files; an existing file is an error (UwsJobResultFileExists) unless -Force.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Definition copy -Phase COMPLETED | Get-UwsJobResult -Destination ./out</code>
/// <para>Downloads the results of every completed copy job.</para>
/// </example>
/// <example>
/// <code>Get-UwsJobResult 3kq5xj2mgd7q4wb6ouwqdfk7ia -Name report | Get-UwsJobResult -Destination . -Force</code>
/// <para>Lists one result of a job, then downloads just that one over an older copy.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "UwsJobResult", DefaultParameterSetName = IdSet)]
[OutputType(typeof(UwsResult), typeof(FileInfo))]
public sealed class GetUwsJobResultCommand : UwsJobCmdlet
{
    private const int ActivityId = 42;

    /// <summary><para type="description">Only the results of these names (UWS result ids); all when absent.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Name { get; set; }

    /// <summary><para type="description">A folder to download the results into (one sub-folder per job).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Destination { get; set; }

    /// <summary><para type="description">Overwrite files that exist.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes or downloads the results of the job of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = JobSession();
        UwsJob job;
        // A job object that has ended has its results already; one still on its way is asked for again.
        if (InputObject is { } given && given.Phase.IsFinal())
            job = given;
        else if (!TryRun(ct => session.Client.GetJobAsync(KnownDefinition, JobId, ct), "UwsJob", JobId, out job))
            return;
        var results = job.Results.Where(r => Name is not { Length: > 0 } || Name.Contains(r.Name, StringComparer.Ordinal)).ToList();
        foreach (var missing in (Name ?? []).Where(n => job.Results.All(r => r.Name != n)))
            WriteError(new OpusError("UwsJobResultNotFound", "ObjectNotFound", $"job '{job.Id}' has no result '{missing}'"), missing);
        if (Destination is null)
        {
            foreach (var result in results)
                WriteFrom(session, result);
            return;
        }

        var folder = GetUnresolvedProviderPathFromPSPath(Destination);
        foreach (var result in results)
            Download(session.Client, result, folder);
    }

    private void Download(Opus.Core.Sessions.IOpusSession session, UwsResult result, string folder)
    {
        var (target, error) = FilePlan.ResultTarget(folder, result);
        error ??= FilePlan.Overwrite(target ?? "", target is not null && File.Exists(target), Force, "UwsJobResult");
        if (error is not null)
        {
            WriteError(error, result);
            return;
        }

        long copied = 0;
        var progress = new Progress(value => Interlocked.Exchange(ref copied, value));
        var partial = target + ".part";
        var ok = TryRun(async ct =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
                    await session.DownloadResultAsync(result, file, progress, ct);
                File.Move(partial, target!, overwrite: true);
            }, "UwsJobResult", result,
            () => WriteProgress(ActivityId, ProgressText.Download(result, Interlocked.Read(ref copied), target!)));
        WriteProgress(ActivityId, ProgressText.Download(result, Interlocked.Read(ref copied), target!), completed: true);
        if (ok)
            WriteFile(target!);
        else if (File.Exists(partial))
            File.Delete(partial);
    }

    // Reports on the copying thread; the pipeline thread reads the running total.
    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
