// Hand-written on purpose: no .NET library serializes W3C PROV (issue 20).
using System.Globalization;
using System.Text.Json;

namespace Opus.Core.Provenance;

/// <summary>
/// Reads PROV-JSON into a <see cref="ProvDocument"/>: the prefixes, the record kinds we know, and the
/// names of what it skipped (other kinds, bundles). Used to parse our own answers back in tests and
/// to read the provenance a job script wrote.
/// </summary>
public static class ProvJsonReader
{
    public sealed record Result(ProvDocument Document, IReadOnlyList<string> Skipped, string? DefaultNamespace);

    /// <exception cref="FormatException">When the text is not a PROV-JSON document.</exception>
    public static Result Read(string text)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON: {e.Message}", e);
        }

        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("a PROV-JSON document is a JSON object");
            var document = new ProvDocument();
            var skipped = new List<string>();
            string? defaultNamespace = null;
            foreach (var section in json.RootElement.EnumerateObject())
            {
                if (section.Name == "prefix")
                {
                    if (section.Value.ValueKind != JsonValueKind.Object)
                        throw new FormatException("\"prefix\" is not an object");
                    foreach (var prefix in section.Value.EnumerateObject())
                    {
                        if (prefix.Value.ValueKind != JsonValueKind.String)
                            throw new FormatException($"prefix '{prefix.Name}' is not a string");
                        if (prefix.Name == "default")
                            defaultNamespace = prefix.Value.GetString();
                        else
                            document.Prefixes.Add(new(prefix.Name, prefix.Value.GetString()!));
                    }

                    continue;
                }

                if (ProvKinds.Parse(section.Name) is not { } kind)
                {
                    skipped.Add(section.Name);
                    continue;
                }

                if (section.Value.ValueKind != JsonValueKind.Object)
                    throw new FormatException($"\"{section.Name}\" is not an object");
                foreach (var entry in section.Value.EnumerateObject())
                {
                    // Several records may share one identifier: PROV-JSON then gives a list.
                    var bodies = entry.Value.ValueKind == JsonValueKind.Array ? entry.Value.EnumerateArray().ToList() : [entry.Value];
                    foreach (var body in bodies)
                        document.Records.Add(ReadRecord(kind, entry.Name, body));
                }
            }

            return new Result(document, skipped, defaultNamespace);
        }
    }

    private static ProvRecord ReadRecord(ProvKind kind, string key, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{ProvKinds.NameOf(kind)} '{key}' is not an object");
        var formals = ProvKinds.FormalsOf(kind);
        var values = new string?[formals.Count];
        var attributes = new List<ProvAttribute>();
        foreach (var property in body.EnumerateObject())
        {
            var index = Array.FindIndex(formals.ToArray(), f => f.Name == property.Name);
            if (index >= 0)
            {
                values[index] = property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("$", out var inner)
                    ? inner.GetString()
                    : property.Value.ToString();
                continue;
            }

            var items = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [property.Value];
            foreach (var item in items)
                attributes.Add(new ProvAttribute(property.Name, ReadValue(item, property.Name)));
        }

        // Relations are anonymous here; blank keys (_:...) carry no meaning across documents.
        var id = kind.IsElement() ? key : key.StartsWith("_:", StringComparison.Ordinal) ? null : key;
        return new ProvRecord(kind, id, values, attributes);
    }

    private static ProvValue ReadValue(JsonElement value, string name) => value.ValueKind switch
    {
        JsonValueKind.String => new ProvValue(value.GetString()!),
        JsonValueKind.Number => new ProvValue(value.GetRawText(), value.TryGetInt64(out _) ? "xsd:long" : "xsd:double"),
        JsonValueKind.True or JsonValueKind.False => new ProvValue(value.GetBoolean() ? "true" : "false", "xsd:boolean"),
        JsonValueKind.Object when value.TryGetProperty("$", out var text) =>
            new ProvValue(text.ValueKind == JsonValueKind.String ? text.GetString()! : text.GetRawText(),
                value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null),
        _ => throw new FormatException($"attribute '{name}': unsupported value {value.GetRawText().ToString(CultureInfo.InvariantCulture)}"),
    };
}
