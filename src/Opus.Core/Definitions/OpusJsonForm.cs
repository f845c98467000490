using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Opus.Core.Definitions;

/// <summary>
/// OPUS's JSON form of a definition (GET /jdl/&lt;name&gt;/json, or its jdl/json files): parameters,
/// used and generated are objects keyed by name, with *_keys lists giving the order, and snake_case
/// fields. Read when a file is given in that form; written only for GET /jdl/&lt;name&gt;/json, the route
/// OPUS's clients (its job form among them) read.
/// </summary>
/// <remarks>
/// Lossy on OPUS's side: options are one comma-separated text (an option cannot contain a comma; each is
/// trimmed), anyURI parameters are plain strings once OPUS has stored them as VOTable, and control_parameters,
/// group and url are OPUS internals that we ignore.
/// </remarks>
public static class OpusJsonForm
{
    // What OPUS lists as control parameters (settings.py UWS_PARAMETERS), limited to those Opus takes at creation.
    private static readonly (string Name, string Annotation)[] ControlParameters =
    [
        ("runId", "User specific identifier for the job"),
        ("executionDuration", "Required execution duration in seconds"),
        ("destruction", "Date of destruction of the job"),
    ];

    /// <summary>The definition as OPUS's jdl.content: what its /jdl/&lt;name&gt;/json answered.</summary>
    public static string Write(JobDefinition definition)
    {
        var parameters = new JsonObject();
        foreach (var p in definition.Parameters)
        {
            var entry = new JsonObject
            {
                ["datatype"] = p.Type,
                ["required"] = p.Required ? "true" : "false",
                ["default"] = p.Default ?? "",
                ["unit"] = p.Unit ?? "",
                ["ucd"] = p.Ucd ?? "",
                ["utype"] = p.Utype ?? "",
                ["annotation"] = p.Description ?? "",
            };
            if (p.Min is not null)
                entry["min"] = p.Min;
            if (p.Max is not null)
                entry["max"] = p.Max;
            if (p.Options is { Count: > 0 })
                entry["options"] = string.Join(",", p.Options);
            parameters[p.Name] = entry;
        }

        var used = new JsonObject();
        foreach (var u in definition.Used)
        {
            used[u.Name] = new JsonObject
            {
                ["datatype"] = "xs:string",
                ["annotation"] = u.Description ?? "",
                ["url"] = u.Url ?? "",
                ["role"] = u.Role ?? "",
                ["multiplicity"] = u.Multiplicity ?? "",
                ["default"] = u.Default ?? "",
                ["content_type"] = u.ContentType ?? "",
            };
        }

        var generated = new JsonObject();
        foreach (var g in definition.Generated)
        {
            generated[g.Name] = new JsonObject
            {
                ["annotation"] = g.Description ?? "",
                ["role"] = g.Role ?? "",
                ["multiplicity"] = g.Multiplicity ?? "",
                ["default"] = g.File,
                ["content_type"] = g.ContentType ?? "",
            };
        }

        var content = new JsonObject
        {
            ["name"] = definition.Name,
            ["annotation"] = definition.Description ?? "",
            ["version"] = definition.Version,
            ["type"] = definition.Type ?? "",
            ["subtype"] = definition.Subtype ?? "",
            ["doculink"] = definition.Doculink ?? "",
            ["contact_name"] = definition.ContactName ?? "",
            ["contact_email"] = definition.ContactEmail ?? "",
            ["executionDuration"] = definition.ExecutionDuration,
            ["quote"] = definition.Quote,
            ["script"] = definition.Script,
            ["parameters"] = parameters,
            ["parameters_keys"] = Keys(definition.Parameters.Select(p => p.Name)),
            ["used"] = used,
            ["used_keys"] = Keys(definition.Used.Select(u => u.Name)),
            ["generated"] = generated,
            ["generated_keys"] = Keys(definition.Generated.Select(g => g.Name)),
            ["control_parameters"] = new JsonObject(ControlParameters.Select(c => KeyValuePair.Create(c.Name, (JsonNode?)c.Annotation))),
            ["control_parameters_keys"] = Keys(ControlParameters.Select(c => c.Name)),
        };
        return content.ToJsonString();
    }

    private static JsonArray Keys(IEnumerable<string> names) => new(names.Select(n => (JsonNode)n).ToArray());

    // Fields only OPUS's form has; our form has none of them and writes parameters as an array.
    private static readonly string[] OpusOnlyFields =
    [
        "annotation", "parameters_keys", "used_keys", "generated_keys", "control_parameters", "control_parameters_keys",
        "contact_name", "contact_email", "executionduration",
    ];

    internal static bool Matches(JsonElement root) =>
        OpusOnlyFields.Any(field => root.TryGetProperty(field, out _))
        || new[] { "parameters", "used", "generated" }.Any(field => root.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Object);

    internal static JobDefinition Read(JsonElement root, List<string> problems)
    {
        var definition = new JobDefinition
        {
            Name = Text(root, "name", problems) ?? "",
            Description = Text(root, "annotation", problems),
            Type = Text(root, "type", problems),
            Subtype = Text(root, "subtype", problems),
            Doculink = Text(root, "doculink", problems),
            ContactName = Text(root, "contact_name", problems),
            ContactEmail = Text(root, "contact_email", problems),
            ExecutionDuration = Integer(root, root.TryGetProperty("executionDuration", out _) ? "executionDuration" : "executionduration", problems) ?? 0,
            Quote = Integer(root, "quote", problems),
            Script = Text(root, "script", problems) ?? "",
        };
        // OPUS falls back to version "1" too when none is given.
        definition.Version = Text(root, "version", problems) is { Length: > 0 } version ? version : "1";

        foreach (var (name, p, at) in Entries(root, "parameters", problems))
        {
            var datatype = Text(p, "datatype", problems, at) ?? Text(p, "type", problems, at);
            var type = datatype is null ? ParameterTypes.String : OpusDatatypes.FromName(datatype);
            if (type is null)
                problems.Add($"{at}.datatype: unknown datatype '{datatype}'");
            definition.Parameters.Add(new ParameterDefinition
            {
                Name = name,
                Type = type ?? ParameterTypes.String,
                Required = Flag(p, "required", problems, at) ?? false,
                Default = Text(p, "default", problems, at),
                Description = Text(p, "annotation", problems, at),
                Unit = Text(p, "unit", problems, at),
                Ucd = Text(p, "ucd", problems, at),
                Utype = Text(p, "utype", problems, at),
                Min = Text(p, "min", problems, at),
                Max = Text(p, "max", problems, at),
                Options = Options(p, problems, at),
            });
        }

        foreach (var (name, u, at) in Entries(root, "used", problems))
        {
            definition.Used.Add(new UsedDefinition
            {
                Name = name,
                Description = Text(u, "annotation", problems, at),
                Url = Text(u, "url", problems, at),
                Role = Text(u, "role", problems, at),
                Multiplicity = Text(u, "multiplicity", problems, at),
                Default = Text(u, "default", problems, at),
                ContentType = Text(u, "content_type", problems, at),
                // Ours, in case a file carries them; OPUS has neither.
                Required = Flag(u, "required", problems, at) ?? false,
                File = Text(u, "file", problems, at),
            });
        }

        foreach (var (name, g, at) in Entries(root, "generated", problems))
        {
            definition.Generated.Add(new GeneratedDefinition
            {
                Name = name,
                // OPUS's default of a result is the file name or glob the script leaves behind.
                File = Text(g, "default", problems, at) ?? "",
                Description = Text(g, "annotation", problems, at),
                Role = Text(g, "role", problems, at),
                Multiplicity = Text(g, "multiplicity", problems, at),
                ContentType = Text(g, "content_type", problems, at),
            });
        }

        return definition;
    }

    /// <summary>The entries of parameters, used or generated: in *_keys order, then any left over in document order.</summary>
    private static IEnumerable<(string Name, JsonElement Value, string At)> Entries(JsonElement root, string field, List<string> problems)
    {
        if (!root.TryGetProperty(field, out var group) || group.ValueKind == JsonValueKind.Null)
            return [];
        if (group.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{field}: expected an object keyed by name");
            return [];
        }

        var byName = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var entry in group.EnumerateObject())
        {
            if (byName.TryAdd(entry.Name, entry.Value))
                order.Add(entry.Name);
        }

        var keys = root.TryGetProperty(field + "_keys", out var k) && k.ValueKind == JsonValueKind.Array
            ? k.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(byName.ContainsKey).Distinct().ToList()
            : [];
        var result = new List<(string, JsonElement, string)>();
        foreach (var name in keys.Concat(order.Except(keys)))
        {
            var at = $"{field}.{name}";
            if (byName[name].ValueKind != JsonValueKind.Object)
                problems.Add($"{at}: expected an object");
            else
                result.Add((name, byName[name], at));
        }

        return result;
    }

    private static string? Text(JsonElement owner, string field, List<string> problems, string? at = null)
    {
        if (!owner.TryGetProperty(field, out var value))
            return null;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Number:
                return value.GetRawText();
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Null:
                return null;
            default:
                problems.Add($"{Where(at, field)}: expected a text, found {value.ValueKind.ToString().ToLowerInvariant()}");
                return null;
        }
    }

    private static int? Integer(JsonElement owner, string field, List<string> problems)
    {
        var text = Text(owner, field, problems);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            return value;
        problems.Add($"{field}: '{text}' is not a whole number of seconds");
        return null;
    }

    /// <summary>OPUS writes required as "true"/"false" (from VOTable) or as a JSON boolean (from its editor).</summary>
    private static bool? Flag(JsonElement owner, string field, List<string> problems, string at)
    {
        var text = Text(owner, field, problems, at);
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "":
                return null;
            case "true" or "1" or "yes" or "on":
                return true;
            case "false" or "0" or "no" or "off":
                return false;
            default:
                problems.Add($"{at}.{field}: '{text}' is not true or false");
                return null;
        }
    }

    /// <summary>A comma-separated text (OPUS) or, leniently, a JSON array.</summary>
    private static List<string>? Options(JsonElement owner, List<string> problems, string at)
    {
        if (owner.TryGetProperty("options", out var array) && array.ValueKind == JsonValueKind.Array)
            return array.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.String ? o.GetString()! : o.GetRawText()).ToList();
        var text = Text(owner, "options", problems, at);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        return text.Split(',').Select(o => o.Trim()).ToList();
    }

    private static string Where(string? at, string field) => at is null ? field : $"{at}.{field}";
}
