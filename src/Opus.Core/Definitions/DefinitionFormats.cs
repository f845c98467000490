using System.Xml;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>
/// One entry point for every serialization of a job definition: YAML, JSON (ours and OPUS's), VOTable
/// (OPUS's layout) to read and write, WADL to write. The format of a document is told by its content.
/// </summary>
public static class DefinitionFormats
{
    /// <summary>
    /// XML whose root is WADL's application is WADL, any other XML is VOTable (its reader says what is wrong),
    /// a document starting with '{' or '[' is JSON, anything else YAML. A YAML flow mapping ("{name: x}")
    /// therefore reads as (broken) JSON: write YAML in block style.
    /// </summary>
    public static DefinitionFormat Detect(string content)
    {
        var start = content.AsSpan().TrimStart(" \t\r\n\uFEFF");
        if (start.IsEmpty)
            return DefinitionFormat.Yaml;
        return start[0] switch
        {
            '<' => IsWadl(content) ? DefinitionFormat.Wadl : DefinitionFormat.VoTable,
            '{' or '[' => DefinitionFormat.Json,
            _ => DefinitionFormat.Yaml,
        };
    }

    /// <summary>
    /// Reads YAML, JSON or VOTable and validates; throws <see cref="OpusValidationException"/> starting with
    /// <paramref name="source"/> (a file name, "upload", ...) and listing every problem.
    /// </summary>
    public static JobDefinition Read(string content, string source)
    {
        var problems = new List<string>();
        var definition = Detect(content) switch
        {
            DefinitionFormat.Json => DefinitionJson.Parse(content, source, problems),
            DefinitionFormat.VoTable => DefinitionVoTable.Parse(content, source, problems),
            DefinitionFormat.Wadl => throw new OpusValidationException(
                $"{source}: a WADL document describes a service, not a job definition (it has no script); give YAML, JSON or VOTable"),
            _ => DefinitionYaml.Parse(content, source),
        };
        return DefinitionCleanup.Finish(definition, source, problems);
    }

    public static string Write(JobDefinition definition, DefinitionFormat format, string? serviceBase = null) => format switch
    {
        DefinitionFormat.Yaml => DefinitionYaml.Write(definition),
        DefinitionFormat.Json => DefinitionJson.Write(definition),
        DefinitionFormat.VoTable => DefinitionVoTable.Write(definition),
        DefinitionFormat.Wadl => DefinitionWadl.Write(definition, serviceBase),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string MediaType(DefinitionFormat format) => format switch
    {
        DefinitionFormat.Yaml => "application/yaml",
        DefinitionFormat.Json => "application/json",
        DefinitionFormat.VoTable => "application/x-votable+xml",
        DefinitionFormat.Wadl => "application/vnd.sun.wadl+xml",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The file name ending; VOTable files are named as OPUS names them, &lt;name&gt;_vot.xml.</summary>
    public static string FileSuffix(DefinitionFormat format) => format switch
    {
        DefinitionFormat.Yaml => ".yaml",
        DefinitionFormat.Json => ".json",
        DefinitionFormat.VoTable => "_vot.xml",
        DefinitionFormat.Wadl => ".wadl",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>"yaml" (or "yml"), "json", "votable" (or "vot", "xml"), "wadl", any case, or one of the media types.</summary>
    public static bool TryParse(string? name, out DefinitionFormat format)
    {
        DefinitionFormat? found = name?.Trim().ToLowerInvariant() switch
        {
            "yaml" or "yml" or "application/yaml" or "application/x-yaml" or "text/yaml" => DefinitionFormat.Yaml,
            "json" or "application/json" => DefinitionFormat.Json,
            "votable" or "vot" or "xml" or "application/x-votable+xml" => DefinitionFormat.VoTable,
            "wadl" or "application/vnd.sun.wadl+xml" => DefinitionFormat.Wadl,
            _ => null,
        };
        format = found ?? default;
        return found is not null;
    }

    /// <summary>Like <see cref="TryParse"/>, but an unknown name is an <see cref="OpusValidationException"/> listing the known ones.</summary>
    public static DefinitionFormat Parse(string? name) =>
        TryParse(name, out var format)
            ? format
            : throw new OpusValidationException($"unknown definition format '{name}'; use yaml, json, votable or wadl");

    /// <summary>Reads only as far as the root element; a document too broken to say is not WADL.</summary>
    private static bool IsWadl(string content)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(content.TrimStart('\uFEFF')), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            return reader.MoveToContent() == XmlNodeType.Element && reader.LocalName == "application" && reader.NamespaceURI == DefinitionWadl.Namespace.NamespaceName;
        }
        catch (XmlException)
        {
            return false;
        }
    }
}
