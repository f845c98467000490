// Hand-written on purpose: no .NET library serializes W3C PROV (issue 20).
using System.Text;

namespace Opus.Core.Provenance;

/// <summary>
/// PROV-N (W3C REC, section 7.4): document ... endDocument, prefix lines, one expression per line,
/// "-" for an absent optional argument, strings escaped, qualified names in single quotes, typed
/// literals as "..." %% xsd:TYPE, times unquoted.
/// </summary>
public static class ProvNWriter
{
    public static void Write(ProvDocument document, Stream output)
    {
        using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        writer.Write(WriteString(document));
    }

    public static string WriteString(ProvDocument document)
    {
        var text = new StringBuilder();
        text.Append("document\n");
        foreach (var (prefix, uri) in document.Prefixes)
            text.Append("  prefix ").Append(prefix).Append(" <").Append(uri).Append(">\n");
        text.Append('\n');
        foreach (var kind in ProvKinds.WriteOrder)
        {
            foreach (var record in document.Records.Where(r => r.Kind == kind))
                text.Append("  ").Append(Expression(record)).Append('\n');
        }

        text.Append("endDocument\n");
        return text.ToString();
    }

    public static string Expression(ProvRecord record)
    {
        var arguments = new List<string>();
        if (record.Id is not null && record.Kind.IsElement())
            arguments.Add(record.Id);
        var formals = ProvKinds.FormalsOf(record.Kind);
        var required = ProvKinds.RequiredCount(record.Kind);
        // The optional arguments come as a group: all of them (absent ones as "-") or none.
        var count = Enumerable.Range(required, Math.Max(0, formals.Count - required)).Any(i => i < record.Formals.Count && record.Formals[i] is not null)
            ? formals.Count
            : required;
        for (var i = 0; i < count; i++)
            arguments.Add(i < record.Formals.Count && record.Formals[i] is { } value ? value : "-");

        var expression = new StringBuilder(ProvKinds.NameOf(record.Kind)).Append('(');
        // A relation's identifier is followed by ';' (ours are anonymous; read ones may not be).
        if (record.Id is not null && !record.Kind.IsElement())
            expression.Append(record.Id).Append("; ");
        expression.Append(string.Join(", ", arguments));
        if (record.Attributes.Count > 0 && record.Kind != ProvKind.SpecializationOf)
        {
            if (arguments.Count > 0)
                expression.Append(", ");
            expression.Append('[').Append(string.Join(", ", record.Attributes.Select(a => $"{a.Name}={Literal(a.Value)}"))).Append(']');
        }

        return expression.Append(')').ToString();
    }

    public static string Literal(ProvValue value) => value.Datatype switch
    {
        null => Quote(value.Text),
        ProvValue.QualifiedName => $"'{value.Text}'",
        var type => $"{Quote(value.Text)} %% {type}",
    };

    /// <summary>A PROV-N string literal: quotes, backslashes and control characters escaped (ECHAR).</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\b' => "\\b",
                '\f' => "\\f",
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}
