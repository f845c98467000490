using System.Management.Automation;
using Opus.Core.Definitions;
using JobDefinition = Opus.Core.Definitions.JobDefinition;
using Opus.PowerShell.Completers;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Gets the job definitions (ActivityDescriptions) the session may use.</para>
/// <para type="description">The current (published) version of each, or of the names given (wildcards allowed), or a given -Version of one. Definition objects carry their parameters, inputs, results and script.</para>
/// </summary>
/// <example>
/// <code>Get-ActivityDescription</code>
/// <para>Every definition, as a table.</para>
/// </example>
/// <example>
/// <code>(Get-ActivityDescription sleep).Parameters</code>
/// <para>The parameters of the sleep definition.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "ActivityDescription")]
[OutputType(typeof(JobDefinition))]
public sealed class GetActivityDescriptionCommand : OpusSessionCmdlet
{
    /// <summary><para type="description">Definition names; wildcards are allowed. Every definition when absent.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DefinitionNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary><para type="description">A version other than the current one (with one name, no wildcards).</para></summary>
    [Parameter]
    public string? Version { get; set; }

    /// <summary>Writes the definitions named by this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        var session = UsedSession().Client;
        foreach (var name in Name is { Length: > 0 } names ? names : ["*"])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name))
            {
                if (TryRun(ct => session.GetDefinitionAsync(name, Version, ct), "ActivityDescription", name, out var one))
                    WriteObject(one);
                continue;
            }

            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            if (TryRun(ct => session.ListDefinitionsAsync(ct), "ActivityDescription", name, out var all))
                WriteObject(all.Where(d => pattern.IsMatch(d.Name)), enumerateCollection: true);
        }
    }
}
