using System.Buffers;
using System.Collections;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>
/// Reads and writes job definitions as JSON: our model with camelCase names (the same fields as the
/// YAML), nulls and empty lists left out. Reading also accepts OPUS's own JSON form (GET /jdl/&lt;name&gt;/json).
/// </summary>
public static partial class DefinitionJson
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        // Served as application/json, never inlined in HTML: keep '<', '&' and non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitEmptyLists } },
    };

    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A misspelt field is an error, as in the YAML, rather than silently ignored.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        // "version": 2 is as good as "version": "2" (YAML reads both as text).
        Converters = { new LenientTextConverter() },
        MaxDepth = DefinitionLimits.MaxDepth,
    };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = DefinitionLimits.MaxDepth,
    };

    /// <summary>Parses (either form) and validates; throws <see cref="OpusValidationException"/> listing every problem.</summary>
    public static JobDefinition Read(string json, string source)
    {
        var problems = new List<string>();
        return DefinitionCleanup.Finish(Parse(json, source, problems), source, problems);
    }

    public static string Write(JobDefinition definition) => JsonSerializer.Serialize(definition, WriteOptions) + "\n";

    /// <summary>Syntax and shape; mapping problems of OPUS's form are added to <paramref name="problems"/>.</summary>
    internal static JobDefinition? Parse(string json, string source, List<string> problems)
    {
        using (var document = ParseDocument(json, source))
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
                return null;
            if (root.ValueKind != JsonValueKind.Object)
                throw new OpusValidationException($"{source}: a definition is a JSON object, not {Describe(root.ValueKind)}");
            if (OpusJsonForm.Matches(root))
                return OpusJsonForm.Read(root, problems);
        }

        try
        {
            return JsonSerializer.Deserialize<JobDefinition>(json, ReadOptions);
        }
        catch (JsonException e)
        {
            throw Error(source, e);
        }
    }

    private static JsonDocument ParseDocument(string json, string source)
    {
        try
        {
            var document = JsonDocument.Parse(json, DocumentOptions);
            if (CountValues(document.RootElement, DefinitionLimits.MaxNodes) > DefinitionLimits.MaxNodes)
            {
                document.Dispose();
                throw new OpusValidationException($"{source}: the definition has more than {DefinitionLimits.MaxNodes} values");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw Error(source, e);
        }
    }

    /// <summary>Values in the document, counting stops once past <paramref name="limit"/>; the depth is bounded by the parser.</summary>
    private static int CountValues(JsonElement element, int limit)
    {
        var count = 1;
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if ((count += CountValues(property.Value, limit - count)) > limit)
                    break;
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if ((count += CountValues(item, limit - count)) > limit)
                    break;
            }
        }

        return count;
    }

    /// <summary>
    /// "source: line L, position P ($.path): what", lines and positions counted from 1. A value of the wrong
    /// kind is told by its field ("expected an integer"): System.Text.Json's own text names .NET types.
    /// </summary>
    private static OpusValidationException Error(string source, JsonException e)
    {
        var where = e.LineNumber is { } line ? $"line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
        if (!string.IsNullOrEmpty(e.Path) && e.Path != "$")
            where = where.Length == 0 ? e.Path : $"{where} ({e.Path})";
        var what = UnmappedProperty().Replace(LocationSuffix().Replace(e.Message, ""), "unknown field '$1'");
        if (e.Path is { } path && (what.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) || DefinitionMessages.NamesDotNet(what)))
            what = DefinitionMessages.Expected(path, "an object") is { } expected ? $"expected {expected}" : "a value of the wrong kind";
        else if (DefinitionMessages.NamesDotNet(what))
            what = "a value of the wrong kind";
        return new OpusValidationException(where.Length == 0 ? $"{source}: {what}" : $"{source}: {where}: {what}");
    }

    [GeneratedRegex(@"\s*(Path: .*)?\s*(\| )?LineNumber: \d+ \| BytePositionInLine: \d+\.\s*$|\s*Path: \$[^ ]*\.?\s*$")]
    private static partial Regex LocationSuffix();

    [GeneratedRegex(@"^The JSON property '(.*)' could not be mapped to any \.NET member contained in type '[^']*'\.$")]
    private static partial Regex UnmappedProperty();

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "true or false",
    };

    private static void OmitEmptyLists(JsonTypeInfo typeInfo)
    {
        foreach (var property in typeInfo.Properties)
        {
            if (typeof(ICollection).IsAssignableFrom(property.PropertyType))
                property.ShouldSerialize = (_, value) => value is ICollection { Count: > 0 };
        }
    }

    /// <summary>Reads a text field from a JSON string, number or boolean.</summary>
    private sealed class LenientTextConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            // The caller's message says "expected a text" from the field's path.
            _ => throw new JsonException(),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
