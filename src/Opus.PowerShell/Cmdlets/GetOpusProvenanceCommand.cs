using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the provenance of jobs or entities (IVOA ProvSAP) as PROV-JSON, PROV-XML, PROV-N or PROV-SVG.</para>
/// <para type="description">Job ids and entity ids come from the parameter or the pipeline (job objects bind by their Id). Without -Path a document object is written per id (its Content holds the text); with -Path each document is written to FOLDER/ID.json (.xml, .provn, .svg) and the files are written out. -Depth, -Direction and -Model are ProvSAP's DEPTH, DIRECTION and MODEL.</para>
/// </summary>
/// <example>
/// <code>Get-UwsJob -Last 5 | Get-OpusProvenance -Format PROV-N -Path ./prov</code>
/// <para>Writes the provenance of the five newest jobs as PROV-N files.</para>
/// </example>
/// <example>
/// <code>(Get-OpusProvenance 3kq5xj2mgd7q4wb6ouwqdfk7ia -Depth 2 -Direction BACK).Content</code>
/// <para>The PROV-JSON of a job, two steps back.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "OpusProvenance", DefaultParameterSetName = IdSet)]
[OutputType(typeof(ProvenanceDocument), typeof(FileInfo))]
public sealed class GetOpusProvenanceCommand : OpusSessionCmdlet
{
    private const string IdSet = "Id";
    private const string JobSet = "InputObject";

    /// <summary><para type="description">Job ids or entity ids.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("JobId", "EntityId")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    /// <summary><para type="description">A job object: its provenance, from the session it came from unless -Session is given.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = JobSet, ValueFromPipeline = true)]
    public UwsJob? InputObject { get; set; }

    /// <summary><para type="description">How many steps of the graph to follow (ProvSAP DEPTH).</para></summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int? Depth { get; set; }

    /// <summary><para type="description">BACK (what it came from), FORTH (what came from it) or BOTH.</para></summary>
    [Parameter]
    [ValidateSet("BACK", "FORTH", "BOTH")]
    public string? Direction { get; set; }

    /// <summary><para type="description">IVOA or W3C (ProvSAP MODEL).</para></summary>
    [Parameter]
    [ValidateSet("IVOA", "W3C")]
    public string? Model { get; set; }

    /// <summary><para type="description">PROV-JSON (the default), PROV-XML, PROV-N or PROV-SVG.</para></summary>
    [Parameter]
    [ValidateSet(ValueSets.ProvJson, ValueSets.ProvXml, ValueSets.ProvN, ValueSets.ProvSvg)]
    public string Format { get; set; } = ValueSets.ProvJson;

    /// <summary><para type="description">A folder to write one file per id into.</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary><para type="description">Overwrite files that exist.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Gets the provenance of the ids of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession(InputObject).Client;
        var format = ValueSets.ProvenanceFormat(Format);
        foreach (var id in InputObject is { } job ? [job.Id] : Id)
        {
            var query = new ProvenanceQuery(id, format, Depth, Direction, Model);
            if (!TryRun(ct => session.Provenance.GetAsync(query, ct), "OpusProvenance", id, out var document))
                continue;
            if (Path is null)
            {
                WriteObject(document);
                continue;
            }

            var target = FilePlan.ProvenanceTarget(GetUnresolvedProviderPathFromPSPath(Path), id, format);
            if (FilePlan.Overwrite(target, File.Exists(target), Force, "OpusProvenance") is { } exists)
            {
                WriteError(exists, target);
                continue;
            }

            if (TryRun(async ct =>
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                    await File.WriteAllTextAsync(target, document.Content, ct);
                    return true;
                }, "OpusProvenance", target, out _))
                WriteFile(target);
        }
    }
}
