using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Imports job definitions (IVOA ActivityDescriptions) from YAML, JSON or VOTable files into the session, published.</para>
/// <para type="description">Each file is read and checked as the server checks it, then stored as a new version and published (admins), or only proposed with -Propose, for an admin to publish. A file with problems is a non-terminating error (InvalidActivityDescription) listing every problem, and the other files go on. Importing the same version with the same content again changes nothing; other content under an existing version is refused (ActivityDescriptionNotAllowed).</para>
/// </summary>
/// <example>
/// <code>Import-ActivityDescription -Path ./definitions/*.yaml</code>
/// <para>Publishes every YAML definition of a folder.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./definitions -Filter *_vot.xml | Import-ActivityDescription -Propose</code>
/// <para>Proposes VOTable definitions from the pipeline.</para>
/// </example>
[Cmdlet(VerbsData.Import, "ActivityDescription", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(DefinitionVersion))]
public sealed class ImportActivityDescriptionCommand : OpusSessionCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary><para type="description">Definition files; wildcards are expanded.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary><para type="description">Definition files, taken exactly as written (no wildcards).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary><para type="description">Only propose the definitions; an admin publishes them later.</para></summary>
    [Parameter]
    public SwitchParameter Propose { get; set; }

    /// <summary>Imports each file named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        foreach (var file in Files())
        {
            var (target, action) = ShouldProcessText.ImportDefinition(file, !Propose);
            if (!ShouldProcess(target, action))
                continue;
            var session = UsedSession().Client;
            if (TryRun(async ct => await session.ImportDefinitionAsync(await File.ReadAllTextAsync(file, ct), System.IO.Path.GetFileName(file), !Propose, ct) with { Source = file },
                    "ActivityDescription", file, out var version))
                WriteObject(version);
        }
    }

    private IEnumerable<string> Files()
    {
        if (ParameterSetName == LiteralPathSet)
            return LiteralPath.Select(GetUnresolvedProviderPathFromPSPath);
        var files = new List<string>();
        foreach (var pattern in Path)
        {
            try
            {
                files.AddRange(GetResolvedProviderPathFromPSPath(pattern, out _));
            }
            catch (ItemNotFoundException e)
            {
                WriteError(new ErrorRecord(e, "ActivityDescriptionFileNotFound", ErrorCategory.ObjectNotFound, pattern));
            }
        }

        return files;
    }
}
