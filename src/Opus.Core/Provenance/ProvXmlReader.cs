// Hand-written on purpose: no .NET library serializes W3C PROV (issue 20).
using System.Xml;
using System.Xml.Linq;

namespace Opus.Core.Provenance;

/// <summary>Reads PROV-XML into a <see cref="ProvDocument"/> (the record kinds we write), e.g. to check our answers.</summary>
public static class ProvXmlReader
{
    private static readonly XNamespace Prov = ProvNames.ProvNamespace;
    private static readonly XNamespace Xsi = ProvXmlWriter.XsiNamespace;

    /// <exception cref="FormatException">When the text is not a PROV-XML document.</exception>
    public static ProvDocument Read(string text)
    {
        XDocument xml;
        try
        {
            xml = XDocument.Parse(text);
        }
        catch (XmlException e)
        {
            throw new FormatException($"not XML: {e.Message}", e);
        }

        var root = xml.Root ?? throw new FormatException("empty document");
        if (root.Name != Prov + "document")
            throw new FormatException($"the root is {root.Name}, not prov:document");
        var document = new ProvDocument();
        foreach (var declaration in root.Attributes().Where(a => a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.Xmlns))
        {
            if (declaration.Name.LocalName is not ("prov" or "xsd" or "xsi"))
                document.Prefixes.Add(new(declaration.Name.LocalName, declaration.Value));
        }

        foreach (var element in root.Elements())
        {
            if (element.Name.Namespace != Prov || ProvKinds.Parse(element.Name.LocalName) is not { } kind)
                throw new FormatException($"unexpected element {element.Name}");
            var formals = ProvKinds.FormalsOf(kind);
            var values = new string?[formals.Count];
            var attributes = new List<ProvAttribute>();
            foreach (var child in element.Elements())
            {
                var index = child.Name.Namespace == Prov ? formals.ToList().FindIndex(f => f.LocalName == child.Name.LocalName) : -1;
                if (index >= 0)
                {
                    values[index] = formals[index].IsTime ? child.Value : (string?)child.Attribute(Prov + "ref")
                        ?? throw new FormatException($"{element.Name.LocalName}/{child.Name.LocalName} has no prov:ref");
                    continue;
                }

                var prefix = child.GetPrefixOfNamespace(child.Name.Namespace)
                    ?? throw new FormatException($"no prefix for the namespace of {child.Name}");
                var type = (string?)child.Attribute(Xsi + "type");
                var value = type switch
                {
                    null or "xsd:string" => new ProvValue(child.Value),
                    "xsd:QName" => ProvValue.Name(child.Value),
                    _ => new ProvValue(child.Value, type),
                };
                attributes.Add(new ProvAttribute($"{prefix}:{child.Name.LocalName}", value));
            }

            document.Records.Add(new ProvRecord(kind, (string?)element.Attribute(Prov + "id"), values, attributes));
        }

        return document;
    }
}
