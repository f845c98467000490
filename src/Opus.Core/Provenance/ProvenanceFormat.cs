namespace Opus.Core.Provenance;

/// <summary>The ProvSAP RESPONSEFORMATs (section 7.5).</summary>
public enum ProvenanceFormat
{
    ProvJson,
    ProvXml,
    ProvN,
    ProvSvg,
    ProvPng,
}

public static class ProvenanceFormats
{
    /// <summary>The results a COMPLETED job lists for its own provenance (section 5), served at JOBURL/NAME.</summary>
    public static readonly IReadOnlyList<(string Name, ProvenanceFormat Format)> JobResults =
    [
        ("provjson", ProvenanceFormat.ProvJson), ("provxml", ProvenanceFormat.ProvXml), ("provsvg", ProvenanceFormat.ProvSvg), ("provn", ProvenanceFormat.ProvN),
    ];

    /// <summary>The media type without parameters (a UWS result's mime-type).</summary>
    public static string MediaTypeOf(this ProvenanceFormat format) => format.ContentTypeOf().Split(';')[0];

    /// <summary>The RESPONSEFORMAT name (PROV-JSON...).</summary>
    public static string NameOf(this ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => "PROV-JSON",
        ProvenanceFormat.ProvXml => "PROV-XML",
        ProvenanceFormat.ProvN => "PROV-N",
        ProvenanceFormat.ProvSvg => "PROV-SVG",
        _ => "PROV-PNG",
    };

    /// <summary>The Content-Type of an answer.</summary>
    public static string ContentTypeOf(this ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => "application/json; charset=UTF-8",
        ProvenanceFormat.ProvXml => "application/provenance+xml; charset=UTF-8",
        ProvenanceFormat.ProvN => "text/provenance-notation; charset=UTF-8",
        ProvenanceFormat.ProvSvg => "image/svg+xml",
        _ => "image/png",
    };

    public static string ExtensionOf(this ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => ".json",
        ProvenanceFormat.ProvXml => ".xml",
        ProvenanceFormat.ProvN => ".provn",
        ProvenanceFormat.ProvSvg => ".svg",
        _ => ".png",
    };

    public static bool IsGraph(this ProvenanceFormat format) => format is ProvenanceFormat.ProvSvg or ProvenanceFormat.ProvPng;

    /// <summary>A RESPONSEFORMAT value: a format name or one of its media types (case-insensitive); null when unknown.</summary>
    public static ProvenanceFormat? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "prov-json" or "application/json" => ProvenanceFormat.ProvJson,
        "prov-xml" or "application/provenance+xml" or "text/xml" or "application/xml" => ProvenanceFormat.ProvXml,
        "prov-n" or "text/provenance-notation" => ProvenanceFormat.ProvN,
        "prov-svg" or "image/svg+xml" => ProvenanceFormat.ProvSvg,
        "prov-png" or "image/png" => ProvenanceFormat.ProvPng,
        _ => null,
    };
}
