// Hand-written on purpose: no .NET library draws W3C PROV as Graphviz DOT (issue 20).
using System.Text;

namespace Opus.Core.Provenance;

/// <summary>
/// A Graphviz drawing of a document (section 7.5), in the colours of the W3C prov package's figures:
/// activities blue boxes, data entities yellow ellipses, agents orange houses; parameters and
/// descriptions greyed in shapes of their own; relation names on the edges; attributes in a note
/// beside each node when asked. Node ids in the SVG say what each node is (activity_1, entity_2...).
/// </summary>
public static class ProvDotWriter
{
    private sealed record Style(string Class, string Shape, string Fill, string Line, string Lines = "filled");

    private static readonly Style Activity = new("activity", "box", "#9FB1FC", "#0000FF");
    private static readonly Style Entity = new("entity", "ellipse", "#FFFC87", "#808080");
    private static readonly Style Agent = new("agent", "house", "#FED37F", "#808080");
    private static readonly Style Parameter = new("parameter", "ellipse", "#E6E6E6", "#A0A0A0", "filled,dashed");
    private static readonly Style Description = new("description", "note", "#D3D3D3", "#A0A0A0");

    public static string Write(ProvDocument document, bool attributes, string rankdir = "LR")
    {
        var dot = new StringBuilder();
        dot.Append("digraph provenance {\n");
        dot.Append($"  rankdir={rankdir};\n  charset=\"UTF-8\";\n");
        dot.Append("  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n");

        var nodes = new Dictionary<string, string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var notes = 0;
        foreach (var element in document.Elements)
        {
            var style = StyleOf(element);
            var node = $"{style.Class}_{counts[style.Class] = counts.GetValueOrDefault(style.Class) + 1}";
            nodes[element.Id!] = node;
            var label = element.Attribute("prov:label")?.Text ?? element.Id!;
            dot.Append($"  {node} [id=\"{node}\", label={Quote(label)}, shape={style.Shape}, style=\"{style.Lines}\", fillcolor=\"{style.Fill}\", color=\"{style.Line}\"");
            dot.Append($", tooltip={Quote(element.Id!)}, URL={Quote(document.Expand(element.Id!))}];\n");
            if (attributes)
            {
                // The identifier and the attributes in a note beside the node, as the prov package draws them.
                var lines = new List<string> { element.Id! };
                if (element.Kind == ProvKind.Activity)
                    lines.AddRange(new[] { ("startTime", element.Formals[0]), ("endTime", element.Formals[1]) }.Where(t => t.Item2 is not null).Select(t => $"{t.Item1}: {t.Item2}"));
                lines.AddRange(element.Attributes.Where(a => a.Name != "prov:label").Select(a => $"{a.Name}: {Shorten(a.Value.Text)}"));
                var note = $"note_{++notes}";
                var text = string.Join("", lines.Select(line => Escape(line).ReplaceLineEndings(" ") + "\\l"));
                dot.Append($"  {note} [id=\"{note}\", label=\"{text}\", shape=note, fontsize=8, color=\"#A0A0A0\", fontcolor=\"#404040\"];\n");
                dot.Append($"  {node} -> {note} [arrowhead=none, style=dashed, color=\"#A0A0A0\"];\n");
            }
        }

        foreach (var relation in document.Relations)
        {
            var from = relation.Formals.Count > 0 && relation.Formals[0] is { } a ? nodes.GetValueOrDefault(a) : null;
            var to = relation.Formals.Count > 1 && relation.Formals[1] is { } b ? nodes.GetValueOrDefault(b) : null;
            if (from is null || to is null)
                continue;
            var (name, colour) = EdgeOf(relation);
            var role = relation.Attribute("prov:role")?.Text;
            var label = role is null ? name : $"{name}\n({role})";
            dot.Append($"  {from} -> {to} [label={Quote(label)}, color=\"{colour}\", fontcolor=\"{colour}\"];\n");
        }

        dot.Append("}\n");
        return dot.ToString();
    }

    private static Style StyleOf(ProvRecord element)
    {
        if (element.Kind == ProvKind.Activity)
            return Activity;
        if (element.Kind == ProvKind.Agent)
            return Agent;
        var type = element.AttributeValues("prov:type").FirstOrDefault(v => v.IsQualifiedName)?.Text;
        return type switch
        {
            "voprov:Parameter" or "voprov:ConfigFile" => Parameter,
            { } t when t.StartsWith("voprov:", StringComparison.Ordinal) && t.EndsWith("Description", StringComparison.Ordinal) => Description,
            _ => Entity,
        };
    }

    /// <summary>The edge label: the PROV relation, or the ProvDM relation a wasInfluencedBy carries.</summary>
    private static (string Name, string Colour) EdgeOf(ProvRecord relation) => relation.Kind switch
    {
        ProvKind.Used => ("used", "#B22222"),
        ProvKind.WasGeneratedBy => ("wasGeneratedBy", "#006400"),
        ProvKind.WasAssociatedWith => ("wasAssociatedWith", "#CC7A00"),
        ProvKind.WasAttributedTo => ("wasAttributedTo", "#CC7A00"),
        ProvKind.SpecializationOf => ("specializationOf", "#404040"),
        ProvKind.WasDerivedFrom => ("wasDerivedFrom", "#8B4513"),
        _ => (relation.Attribute("prov:type")?.Text switch
        {
            "voprov:ConfigurationRelation" => "wasConfiguredBy",
            "voprov:DescriptionRelation" => "isDescribedBy",
            "voprov:RelatedToRelation" => "isRelatedTo",
            "voprov:HadStep" => "hadStep",
            _ => "wasInfluencedBy",
        }, "#707070"),
    };

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;

    /// <summary>Backslashes and quotes escaped for a DOT string.</summary>
    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>A DOT string whose line breaks are centred lines (\n).</summary>
    private static string Quote(string text) => "\"" + Escape(text).ReplaceLineEndings("\\n") + "\"";
}
