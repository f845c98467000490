// Hand-written on purpose: no .NET library serializes W3C PROV (issue 20).
using System.Text;
using System.Xml;

namespace Opus.Core.Provenance;

/// <summary>
/// PROV-XML (W3C Note, section 7.4): a prov:document root declaring every prefix, records as
/// prov:activity, prov:used... with prov:id / prov:ref, the PROV attributes in schema order, other
/// attributes as elements of their namespace, qualified-name values typed xsi:type="xsd:QName".
/// </summary>
public static class ProvXmlWriter
{
    public const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>PROV-XML documents declare xsd without the '#' PROV-N and PROV-JSON imply (as the W3C prov readers write it).</summary>
    public const string XsdNamespace = "http://www.w3.org/2001/XMLSchema";

    // The order the PROV-XML schema gives the PROV attributes in; others follow.
    private static readonly string[] ProvAttributeOrder = ["prov:label", "prov:location", "prov:role", "prov:type", "prov:value"];

    public static void Write(ProvDocument document, Stream output)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, CheckCharacters = true };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("prov", "document", ProvNames.ProvNamespace);
        foreach (var (prefix, uri) in document.Prefixes)
            xml.WriteAttributeString("xmlns", prefix, null, uri);
        xml.WriteAttributeString("xmlns", "xsd", null, XsdNamespace);
        xml.WriteAttributeString("xmlns", "xsi", null, XsiNamespace);

        foreach (var kind in ProvKinds.WriteOrder)
        {
            foreach (var record in document.Records.Where(r => r.Kind == kind))
                WriteRecord(xml, document, record);
        }

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    public static string WriteString(ProvDocument document)
    {
        using var buffer = new MemoryStream();
        Write(document, buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteRecord(XmlWriter xml, ProvDocument document, ProvRecord record)
    {
        xml.WriteStartElement("prov", ProvKinds.NameOf(record.Kind), ProvNames.ProvNamespace);
        if (record.Id is not null)
            xml.WriteAttributeString("prov", "id", ProvNames.ProvNamespace, record.Id);
        var formals = ProvKinds.FormalsOf(record.Kind);
        for (var i = 0; i < formals.Count && i < record.Formals.Count; i++)
        {
            if (record.Formals[i] is not { } value)
                continue;
            xml.WriteStartElement("prov", formals[i].LocalName, ProvNames.ProvNamespace);
            if (formals[i].IsTime)
                xml.WriteString(value);
            else
                xml.WriteAttributeString("prov", "ref", ProvNames.ProvNamespace, value);
            xml.WriteEndElement();
        }

        var ordered = record.Attributes
            .Select((a, i) => (Attribute: a, Rank: Array.IndexOf(ProvAttributeOrder, a.Name) is var r and >= 0 ? r : ProvAttributeOrder.Length, Index: i))
            .OrderBy(x => x.Rank).ThenBy(x => x.Index)
            .Select(x => x.Attribute);
        foreach (var attribute in ordered)
        {
            var colon = attribute.Name.IndexOf(':');
            var prefix = colon > 0 ? attribute.Name[..colon] : "";
            var ns = document.NamespaceOf(prefix)
                ?? throw new InvalidOperationException($"attribute {attribute.Name}: prefix '{prefix}' is not declared");
            xml.WriteStartElement(prefix, attribute.Name[(colon + 1)..], ns);
            switch (attribute.Value.Datatype)
            {
                case null when attribute.Name is "prov:location" or "prov:value":
                    xml.WriteAttributeString("xsi", "type", XsiNamespace, "xsd:string");
                    break;
                case null:
                    break;
                case ProvValue.QualifiedName:
                    xml.WriteAttributeString("xsi", "type", XsiNamespace, "xsd:QName");
                    break;
                case var type:
                    xml.WriteAttributeString("xsi", "type", XsiNamespace, type);
                    break;
            }

            xml.WriteString(XmlSafe(attribute.Value.Text));
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    /// <summary>Characters XML 1.0 cannot carry (most control characters) become U+FFFD.</summary>
    private static string XmlSafe(string text) =>
        text.All(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c))
            ? text
            : new string(text.Select(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c : '\uFFFD').ToArray());
}
