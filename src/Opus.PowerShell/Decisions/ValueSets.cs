using Opus.Core.Definitions;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Decisions;

/// <summary>The closed sets of values some parameters take ([ValidateSet] lists them), parsed to Core's types.</summary>
internal static class ValueSets
{
    public const string Yaml = "Yaml";
    public const string Json = "Json";
    public const string VoTable = "VoTable";
    public const string Wadl = "Wadl";

    public const string ProvJson = "PROV-JSON";
    public const string ProvXml = "PROV-XML";
    public const string ProvN = "PROV-N";
    public const string ProvSvg = "PROV-SVG";

    public static DefinitionFormat DefinitionFormat(string name) => DefinitionFormats.Parse(name);

    public static ProvenanceFormat ProvenanceFormat(string name) =>
        ProvenanceFormats.Parse(name) ?? throw new ArgumentException($"unknown provenance format '{name}'", nameof(name));
}
