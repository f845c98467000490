using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>Safe XML loading and faithful XML writing, shared by the VOTable and WADL formats.</summary>
internal static partial class DefinitionXml
{
    // Definitions arrive by upload: no DTD (entity expansion bombs), no external resources.
    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreProcessingInstructions = true,
    };

    // Entitize keeps '\r', '\n' and '\t' in attribute values (the script) exactly: a reader would
    // otherwise fold them to spaces. No XML declaration, like the files OPUS writes.
    private static readonly XmlWriterSettings WriterSettings = new()
    {
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\n",
        NewLineHandling = NewLineHandling.Entitize,
        OmitXmlDeclaration = true,
    };

    /// <summary>
    /// Parses with line numbers; a syntax error becomes "source: line L, position P: what". The document is
    /// first read once without building a tree, to bound its depth and size: XDocument.Load walks from
    /// each new node up to the root (its check that a node is not its own ancestor), so a tree of depth d
    /// costs d² (100,000 nested GROUPs: 25 s).
    /// </summary>
    public static XDocument Load(string xml, string source)
    {
        try
        {
            xml = xml.TrimStart('\uFEFF');
            CheckBounds(xml, source);
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings);
            return XDocument.Load(reader, LoadOptions.SetLineInfo | LoadOptions.PreserveWhitespace);
        }
        catch (XmlException e)
        {
            // The runtime's own text tells how to switch DTDs on, which is not the author's choice to make.
            var what = e.Message.StartsWith("For security reasons DTD is prohibited", StringComparison.Ordinal)
                ? "a DTD (<!DOCTYPE ...>) is not allowed in a definition"
                : LocationSuffix().Replace(e.Message, "");
            throw new OpusValidationException(e.LineNumber > 0
                ? $"{source}: line {e.LineNumber}, position {e.LinePosition}: {what}"
                : $"{source}: {what}");
        }
    }

    private static void CheckBounds(string xml, string source)
    {
        using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings);
        var nodes = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
                continue;
            if (reader.Depth >= DefinitionLimits.MaxDepth)
                throw Bound(reader, source, $"the definition nests deeper than {DefinitionLimits.MaxDepth} elements");
            if ((nodes += 1 + reader.AttributeCount) > DefinitionLimits.MaxNodes)
                throw Bound(reader, source, $"the definition has more than {DefinitionLimits.MaxNodes} elements and attributes");
        }
    }

    private static OpusValidationException Bound(XmlReader reader, string source, string what) =>
        new(reader is IXmlLineInfo { LineNumber: > 0 } info ? $"{source}: line {info.LineNumber}, position {info.LinePosition}: {what}" : $"{source}: {what}");

    /// <summary>Writes indented XML; a text XML cannot hold (a control character) is a validation error naming the document.</summary>
    public static string Write(XDocument document, string what)
    {
        var text = new StringWriter();
        try
        {
            using (var writer = XmlWriter.Create(text, WriterSettings))
                document.Save(writer);
        }
        catch (ArgumentException e)
        {
            throw new OpusValidationException($"{what}: cannot be written as XML: {e.Message}");
        }

        return text.ToString() + "\n";
    }

    /// <summary>"line 12: " for a problem found in a parsed element, so the author can find it.</summary>
    public static string Line(XObject node) =>
        node is IXmlLineInfo info && info.HasLineInfo() ? $"line {info.LineNumber}: " : "";

    [GeneratedRegex(@"\s*Line \d+, position \d+\.\s*$")]
    private static partial Regex LocationSuffix();
}
