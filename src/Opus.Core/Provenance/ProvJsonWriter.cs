// Hand-written on purpose: no .NET library serializes W3C PROV (issue 20).
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Opus.Core.Provenance;

/// <summary>
/// PROV-JSON (W3C Member Submission layout, section 7.4): "prefix", then one object per record kind
/// keyed by identifier; relations get blank keys _:id1, _:id2... in document order.
/// </summary>
public static class ProvJsonWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Not embedded in HTML: keep '+', '<' and non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(ProvDocument document, Stream output)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteStartObject("prefix");
        foreach (var (prefix, uri) in document.Prefixes)
            json.WriteString(prefix, uri);
        json.WriteEndObject();

        var blank = 0;
        foreach (var kind in ProvKinds.WriteOrder)
        {
            var records = document.Records.Where(r => r.Kind == kind).ToList();
            if (records.Count == 0)
                continue;
            json.WriteStartObject(ProvKinds.NameOf(kind));
            foreach (var record in records)
            {
                json.WriteStartObject(record.Id ?? $"_:id{++blank}");
                var formals = ProvKinds.FormalsOf(kind);
                for (var i = 0; i < formals.Count && i < record.Formals.Count; i++)
                {
                    if (record.Formals[i] is { } formal)
                        json.WriteString(formals[i].Name, formal);
                }

                foreach (var group in record.Attributes.GroupBy(a => a.Name))
                {
                    json.WritePropertyName(group.Key);
                    var values = group.Select(a => a.Value).ToList();
                    if (values.Count == 1)
                    {
                        WriteValue(json, values[0]);
                        continue;
                    }

                    json.WriteStartArray();
                    foreach (var value in values)
                        WriteValue(json, value);
                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.Flush();
    }

    public static string WriteString(ProvDocument document)
    {
        using var buffer = new MemoryStream();
        Write(document, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter json, ProvValue value)
    {
        if (value.Datatype is null)
        {
            json.WriteStringValue(value.Text);
            return;
        }

        json.WriteStartObject();
        json.WriteString("$", value.Text);
        json.WriteString("type", value.Datatype);
        json.WriteEndObject();
    }
}
