namespace Opus.Core.Sessions;

/// <summary>ProvSAP's RESPONSEFORMAT names, media types and file name endings.</summary>
public static class ProvenanceFormats
{
    public static string Name(ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => "PROV-JSON",
        ProvenanceFormat.ProvXml => "PROV-XML",
        ProvenanceFormat.ProvN => "PROV-N",
        ProvenanceFormat.ProvSvg => "PROV-SVG",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string MediaType(ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => "application/json",
        ProvenanceFormat.ProvXml => "application/xml",
        ProvenanceFormat.ProvN => "text/provenance-notation",
        ProvenanceFormat.ProvSvg => "image/svg+xml",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    public static string FileSuffix(ProvenanceFormat format) => format switch
    {
        ProvenanceFormat.ProvJson => ".json",
        ProvenanceFormat.ProvXml => ".xml",
        ProvenanceFormat.ProvN => ".provn",
        ProvenanceFormat.ProvSvg => ".svg",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>"PROV-JSON", "prov-json", "json", "PROV-N", "provn"...; null when unknown.</summary>
    public static ProvenanceFormat? Parse(string? name) => name?.Trim().ToUpperInvariant().Replace("_", "-", StringComparison.Ordinal) switch
    {
        "PROV-JSON" or "JSON" or "PROVJSON" => ProvenanceFormat.ProvJson,
        "PROV-XML" or "XML" or "PROVXML" => ProvenanceFormat.ProvXml,
        "PROV-N" or "PROVN" => ProvenanceFormat.ProvN,
        "PROV-SVG" or "SVG" or "PROVSVG" => ProvenanceFormat.ProvSvg,
        _ => null,
    };
}
