using System.Xml.Linq;
using Opus.Core.Definitions;

namespace Opus.Core.Tests.Definitions;

/// <summary>What the definition format tests share: fixtures, a canonical text of a definition, the shape of an XML document.</summary>
internal static class DefinitionTestKit
{
    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>Two definitions are the same when their JSON is: every field, in order.</summary>
    public static string Canonical(JobDefinition definition) => DefinitionJson.Write(definition);

    /// <summary>
    /// One line per element in document order: its path, its attributes sorted (namespace declarations
    /// left out), and its text when it has no child elements. CRLF counts as LF: the readers make scripts LF.
    /// </summary>
    public static List<string> Shape(string xml)
    {
        var lines = new List<string>();
        Walk(XDocument.Parse(xml).Root!, "");
        return lines;

        void Walk(XElement element, string parent)
        {
            var path = $"{parent}/{element.Name.LocalName}";
            var attributes = element.Attributes()
                .Where(a => !a.IsNamespaceDeclaration)
                .Select(a => $"{a.Name.LocalName}={a.Value.Replace("\r\n", "\n", StringComparison.Ordinal)}")
                .Order(StringComparer.Ordinal);
            var text = element.HasElements ? "" : $" text={element.Value.Trim()}";
            lines.Add($"{path} [{string.Join(" | ", attributes)}]{text}");
            foreach (var child in element.Elements())
                Walk(child, element.Attribute("name") is { } name ? $"{path}[{name.Value}]" : path);
        }
    }
}
