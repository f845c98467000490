using System.Management.Automation;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using JobDefinition = Opus.Core.Definitions.JobDefinition;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Reads and validates job definitions (IVOA ActivityDescriptions) from files.</para>
/// <para type="description">Each file is parsed and checked as the server checks it on import; a file with problems is reported as a non-terminating error listing every problem, and the other files go on.</para>
/// </summary>
/// <example>
/// <code>Import-ActivityDescription -Path ./definitions/*.yaml</code>
/// </example>
[Cmdlet(VerbsData.Import, "ActivityDescription", DefaultParameterSetName = PathSet)]
[OutputType(typeof(JobDefinition))]
public sealed class ImportActivityDescriptionCommand : PSCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>
    /// <para type="description">Definition files; wildcards are expanded.</para>
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>
    /// <para type="description">Definition files, taken exactly as written (no wildcards).</para>
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Reads each file named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var files = ParameterSetName == PathSet
            ? Path.SelectMany(p => GetResolvedProviderPathFromPSPath(p, out _))
            : LiteralPath.Select(GetUnresolvedProviderPathFromPSPath);
        foreach (var file in files)
        {
            try
            {
                WriteObject(DefinitionFiles.Read(file));
            }
            catch (OpusValidationException e)
            {
                WriteError(new ErrorRecord(e, "InvalidActivityDescription", ErrorCategory.InvalidData, file));
            }
            catch (OpusNotFoundException e)
            {
                WriteError(new ErrorRecord(e, "ActivityDescriptionFileNotFound", ErrorCategory.ObjectNotFound, file));
            }
        }
    }
}
