namespace Opus.Core.Provenance;

/// <summary>
/// A small in-memory PROV document: the declared prefixes and a list of records. Every format
/// (PROV-JSON, PROV-XML, PROV-N, the Graphviz drawing) is written from this one model.
/// </summary>
public sealed class ProvDocument
{
    /// <summary>Prefix name to namespace URI, in declaration order (prov and xsd are implicit and not listed).</summary>
    public List<KeyValuePair<string, string>> Prefixes { get; } = [];

    public List<ProvRecord> Records { get; } = [];

    public IEnumerable<ProvRecord> Elements => Records.Where(r => r.Kind.IsElement());

    public IEnumerable<ProvRecord> Relations => Records.Where(r => !r.Kind.IsElement());

    public ProvRecord? Find(string id) => Records.FirstOrDefault(r => r.Id == id);

    /// <summary>The namespace URI of a prefix, including the implicit prov and xsd.</summary>
    public string? NamespaceOf(string prefix) => prefix switch
    {
        "prov" => ProvNames.ProvNamespace,
        "xsd" => ProvNames.XsdNamespace,
        _ => Prefixes.FirstOrDefault(p => p.Key == prefix).Value,
    };

    /// <summary>The full IRI of a qualified name, or the name itself when its prefix is not declared.</summary>
    public string Expand(string qualifiedName)
    {
        var colon = qualifiedName.IndexOf(':');
        return colon > 0 && NamespaceOf(qualifiedName[..colon]) is { } uri ? uri + qualifiedName[(colon + 1)..] : qualifiedName;
    }
}
