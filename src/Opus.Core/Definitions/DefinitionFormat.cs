namespace Opus.Core.Definitions;

/// <summary>The serializations of a job definition. WADL is written only: it describes the service, not the job.</summary>
public enum DefinitionFormat
{
    Yaml,
    Json,
    VoTable,
    Wadl,
}
