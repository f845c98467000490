using System.Management.Automation;
using Opus.Core.Definitions;
using Opus.PowerShell.Completers;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes job definitions as YAML, JSON, VOTable or WADL, to files or as text.</para>
/// <para type="description">Without -Path the document is written out as a string. With -Path, to that file, or, when the path is a folder (or several definitions are exported), to FOLDER/NAME.yaml (.json, _vot.xml, .wadl). An existing file is an error (ActivityDescriptionFileExists) unless -Force.</para>
/// </summary>
/// <example>
/// <code>Get-ActivityDescription | Export-ActivityDescription -Format VoTable -Path ./backup</code>
/// <para>Saves every definition as an OPUS VOTable file in ./backup.</para>
/// </example>
/// <example>
/// <code>Export-ActivityDescription copy -Format Json</code>
/// <para>The copy definition as JSON text.</para>
/// </example>
[Cmdlet(VerbsData.Export, "ActivityDescription", SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportActivityDescriptionCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">Definition names.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Yaml (the default), Json, VoTable or Wadl.</para></summary>
    [Parameter]
    [ValidateSet(ValueSets.Yaml, ValueSets.Json, ValueSets.VoTable, ValueSets.Wadl)]
    public string Format { get; set; } = ValueSets.Yaml;

    /// <summary><para type="description">A version other than the current one.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Version { get; set; }

    /// <summary><para type="description">A file, or a folder to write NAME.yaml (or .json, _vot.xml, .wadl) files into.</para></summary>
    [Parameter(Position = 1)]
    public string? Path { get; set; }

    /// <summary><para type="description">Overwrite files that exist.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Exports the definitions named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession().Client;
        var format = ValueSets.DefinitionFormat(Format);
        foreach (var name in Name)
        {
            if (!TryRun(ct => session.ExportDefinitionAsync(name, format, Version, ct), "ActivityDescription", name, out var document))
                continue;
            if (Path is null)
            {
                WriteObject(document);
                continue;
            }

            var full = GetUnresolvedProviderPathFromPSPath(Path);
            var folder = Directory.Exists(full) || Name.Length > 1 || System.IO.Path.EndsInDirectorySeparator(full);
            var target = FilePlan.DefinitionTarget(full, folder, name, format);
            if (FilePlan.Overwrite(target, File.Exists(target), Force, "ActivityDescription") is { } exists)
            {
                WriteError(exists, target);
                continue;
            }

            var (what, action) = ShouldProcessText.ExportDefinition(name, target, Format);
            if (!ShouldProcess(what, action))
                continue;
            if (TryRun(async ct =>
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                    await File.WriteAllTextAsync(target, document, ct);
                    return true;
                }, "ActivityDescription", target, out _))
                WriteFile(target);
        }
    }
}
