using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>Validates documents against the official UWS-v1.1.xsd (with xlink.xsd, nothing fetched).</summary>
public static class UwsSchema
{
    public static readonly XNamespace Uws = "http://www.ivoa.net/xml/UWS/v1.0";
    public static readonly XNamespace Xlink = "http://www.w3.org/1999/xlink";
    public static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    private static readonly Lazy<XmlSchemaSet> Schemas = new(() =>
    {
        var set = new XmlSchemaSet { XmlResolver = null };
        var folder = Path.Combine(AppContext.BaseDirectory, "schemas");
        set.Add("http://www.w3.org/1999/xlink", Path.Combine(folder, "xlink.xsd"));
        set.Add("http://www.ivoa.net/xml/UWS/v1.0", Path.Combine(folder, "UWS-v1.1.xsd"));
        set.Compile();
        return set;
    });

    /// <summary>Parses and validates; fails with every schema error when the document is not valid.</summary>
    public static XDocument Validate(string xml)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = Schemas.Value, XmlResolver = null };
        // Warnings are not reported: the schema's lax wildcards (urn:uwscustom attributes) have no schema to check against.
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message} (line {e.Exception?.LineNumber})");
        using (var reader = XmlReader.Create(new StringReader(xml), settings))
        {
            while (reader.Read())
            {
            }
        }

        if (errors.Count > 0)
            throw new Xunit.Sdk.XunitException("not valid against UWS-v1.1.xsd:\n" + string.Join("\n", errors) + "\n" + xml);
        return XDocument.Parse(xml);
    }
}
