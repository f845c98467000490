using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Opus.Tests.Provenance;

/// <summary>
/// The acceptance checks of provenance.md section 8, on a PROV-JSON answer, written independently of
/// the server's own model (plain System.Text.Json). Shared by the Core and the HTTP tests.
/// </summary>
public static partial class ProvInvariants
{
    public static readonly string[] RecordKinds =
        ["activity", "entity", "agent", "used", "wasGeneratedBy", "wasAssociatedWith", "wasAttributedTo", "wasInfluencedBy", "specializationOf", "wasDerivedFrom"];

    public static readonly string[] Prefixes = ["voprov", "opus_job", "opus_store", "opus_user", "opus_jdl", "uws", "media-type"];

    private static readonly string[] Elements = ["activity", "entity", "agent"];

    // The identifier arguments of each relation and the kind of element they must name (null: any element).
    private static readonly Dictionary<string, (string Name, string? Kind, bool Required)[]> Arguments = new()
    {
        ["used"] = [("prov:activity", "activity", true), ("prov:entity", "entity", true)],
        ["wasGeneratedBy"] = [("prov:entity", "entity", true), ("prov:activity", "activity", true)],
        ["wasAssociatedWith"] = [("prov:activity", "activity", true), ("prov:agent", "agent", true), ("prov:plan", "entity", false)],
        ["wasAttributedTo"] = [("prov:entity", "entity", true), ("prov:agent", "agent", true)],
        ["wasInfluencedBy"] = [("prov:influencee", null, true), ("prov:influencer", null, true)],
        ["specializationOf"] = [("prov:specificEntity", "entity", true), ("prov:generalEntity", "entity", true)],
        ["wasDerivedFrom"] = [("prov:generatedEntity", "entity", true), ("prov:usedEntity", "entity", true), ("prov:activity", "activity", false)],
    };

    private static readonly Dictionary<string, string[]> Formals = new()
    {
        ["activity"] = ["prov:startTime", "prov:endTime"],
        ["used"] = ["prov:activity", "prov:entity", "prov:time"],
        ["wasGeneratedBy"] = ["prov:entity", "prov:activity", "prov:time"],
        ["wasAssociatedWith"] = ["prov:activity", "prov:agent", "prov:plan"],
        ["wasAttributedTo"] = ["prov:entity", "prov:agent"],
        ["wasInfluencedBy"] = ["prov:influencee", "prov:influencer"],
        ["specializationOf"] = ["prov:specificEntity", "prov:generalEntity"],
        ["wasDerivedFrom"] = ["prov:generatedEntity", "prov:usedEntity", "prov:activity", "prov:generation", "prov:usage"],
    };

    private static readonly HashSet<string> ProvDmClasses =
    [
        "Activity", "ActivityFlow", "Entity", "DatasetEntity", "ValueEntity", "Collection", "Agent", "ActivityDescription", "EntityDescription",
        "DatasetDescription", "ValueDescription", "UsageDescription", "GenerationDescription", "Parameter", "ParameterDescription", "ConfigFile",
        "ConfigFileDescription", "DescriptionRelation", "ConfigurationRelation", "RelatedToRelation", "HadReference", "HadStep",
    ];

    /// <summary>Fails the test with every violation found.</summary>
    public static JsonDocument AssertValid(string json)
    {
        var problems = Check(json);
        Assert.True(problems.Count == 0, "provenance invariants violated:\n  " + string.Join("\n  ", problems) + "\n" + json);
        return JsonDocument.Parse(json);
    }

    /// <summary>The violations of section 8 (empty when the document satisfies every invariant).</summary>
    public static List<string> Check(string json)
    {
        var problems = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return [$"not JSON: {e.Message}"];
        }

        using (document)
        {
            var root = document.RootElement;
            // 1. Only the record keys; exactly the prefixes of section 2; every prefix used is declared.
            var declared = new HashSet<string>(StringComparer.Ordinal) { "prov", "xsd", "_" };
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "prefix" && !RecordKinds.Contains(property.Name))
                    problems.Add($"1: unexpected top-level key '{property.Name}'");
            }

            if (!root.TryGetProperty("prefix", out var prefixes))
            {
                problems.Add("1: no prefix block");
            }
            else
            {
                var names = prefixes.EnumerateObject().Select(p => p.Name).ToList();
                if (!names.Order().SequenceEqual(Prefixes.Order()))
                    problems.Add($"1: prefixes are [{string.Join(", ", names)}], not exactly [{string.Join(", ", Prefixes)}]");
                declared.UnionWith(names);
            }

            void Name(string qualified, string where)
            {
                var colon = qualified.IndexOf(':');
                if (colon <= 0 || !declared.Contains(qualified[..colon]))
                    problems.Add($"1: {where}: '{qualified}' has no declared prefix");
            }

            // 2. No identifier for two kinds of element.
            var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
            var records = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var kind in Elements)
            {
                foreach (var (id, body) in Records(root, kind))
                {
                    Name(id, kind);
                    if (kinds.TryGetValue(id, out var other) && other != kind)
                        problems.Add($"2: '{id}' is both {other} and {kind}");
                    kinds[id] = kind;
                    records[id] = body;
                }
            }

            // 4. Activities have both times, start <= end.
            var intervals = new Dictionary<string, (DateTimeOffset Start, DateTimeOffset End)>(StringComparer.Ordinal);
            foreach (var (id, body) in Records(root, "activity"))
            {
                var start = Time(body, "prov:startTime");
                var end = Time(body, "prov:endTime");
                if (start is null || end is null)
                    problems.Add($"4: activity '{id}' lacks prov:startTime or prov:endTime");
                else if (start > end)
                    problems.Add($"4: activity '{id}' starts after it ends");
                else
                    intervals[id] = (start.Value, end.Value);
            }

            // 5. Data entities say what they are; opus_store entities are named by their digest.
            foreach (var (id, body) in Records(root, "entity"))
            {
                var type = Types(body).FirstOrDefault(t => t.StartsWith("voprov:", StringComparison.Ordinal));
                var isData = type is null or "voprov:ValueEntity" or "voprov:DatasetEntity";
                var sha = body.TryGetProperty("voprov:sha256", out var s) ? s.GetString() : null;
                if (sha is not null && !Sha256().IsMatch(sha))
                    problems.Add($"5: entity '{id}' has a malformed voprov:sha256 '{sha}'");
                if (id.StartsWith("opus_store:", StringComparison.Ordinal) && id["opus_store:".Length..] != sha)
                    problems.Add($"5: entity '{id}' is not named by its voprov:sha256");
                // The job's own detailed provenance may describe in-memory intermediates (see the report).
                if (isData && !id.Contains("/internal/", StringComparison.Ordinal) && sha is null
                    && !body.TryGetProperty("prov:location", out _) && !body.TryGetProperty("prov:value", out _))
                    problems.Add($"5: data entity '{id}' has neither voprov:sha256, prov:location nor prov:value");
            }

            // 3. Relations name declared elements of the required kinds.
            var generations = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var usages = new List<(string Activity, string Entity)>();
            foreach (var kind in Arguments.Keys)
            {
                foreach (var (key, body) in Records(root, kind))
                {
                    if (!key.StartsWith("_:", StringComparison.Ordinal))
                        Name(key, kind);
                    foreach (var (name, wanted, required) in Arguments[kind])
                    {
                        if (!body.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
                        {
                            if (required)
                                problems.Add($"3: {kind} {key} lacks {name}");
                            continue;
                        }

                        var reference = value.GetString()!;
                        if (!kinds.TryGetValue(reference, out var actual))
                            problems.Add($"3: {kind} {key}: {name} '{reference}' is not declared in the document");
                        else if (wanted is not null && actual != wanted)
                            problems.Add($"3: {kind} {key}: {name} '{reference}' is a {actual}, not an {wanted}");
                    }

                    // 7. Usage and generation times within the activity's interval.
                    if (kind is "used" or "wasGeneratedBy" && Str(body, "prov:activity") is { } activity && Str(body, "prov:entity") is { } entity)
                    {
                        if (Time(body, "prov:time") is { } time && intervals.TryGetValue(activity, out var interval) && (time < interval.Start || time > interval.End))
                            problems.Add($"7: {kind} {key} at {time:O} is outside {activity} ({interval.Start:O} .. {interval.End:O})");
                        if (kind == "used")
                            usages.Add((activity, entity));
                        else
                            (generations.TryGetValue(entity, out var list) ? list : generations[entity] = []).Add(activity);
                    }

                    // 9. What the IVOA relations carried by wasInfluencedBy connect.
                    if (kind == "wasInfluencedBy")
                    {
                        var influencee = Str(body, "prov:influencee") ?? "";
                        var influencer = Str(body, "prov:influencer") ?? "";
                        var types = Types(body).ToList();
                        if (types.Contains("voprov:ConfigurationRelation")
                            && (kinds.GetValueOrDefault(influencee) != "activity"
                                || !records.TryGetValue(influencer, out var artefact) || !Types(artefact).Any(t => t is "voprov:Parameter" or "voprov:ConfigFile")))
                            problems.Add($"9: ConfigurationRelation {key} does not go from an activity to a Parameter or ConfigFile");
                        if (types.Contains("voprov:DescriptionRelation")
                            && (!records.TryGetValue(influencer, out var description) || !Types(description).Any(t => t.StartsWith("voprov:", StringComparison.Ordinal) && t.EndsWith("Description", StringComparison.Ordinal))))
                            problems.Add($"9: DescriptionRelation {key} does not point to a voprov:*Description");
                    }

                    CheckAttributes(kind, key, body, problems, Name);
                }
            }

            foreach (var kind in Elements)
            {
                foreach (var (id, body) in Records(root, kind))
                    CheckAttributes(kind, id, body, problems, Name);
            }

            // 6. At most one generation per entity.
            foreach (var (entity, activities) in generations.Where(g => g.Value.Count > 1))
                problems.Add($"6: '{entity}' is generated {activities.Count} times ({string.Join(", ", activities)})");

            // 7. Along a chain the producer started no later than the consumer ended.
            foreach (var (consumer, entity) in usages)
            {
                foreach (var producer in generations.GetValueOrDefault(entity) ?? [])
                {
                    if (intervals.TryGetValue(producer, out var made) && intervals.TryGetValue(consumer, out var used) && made.Start > used.End)
                        problems.Add($"7: {producer} produced '{entity}' after {consumer}, which used it, had ended");
                }
            }
        }

        return problems;
    }

    private static void CheckAttributes(string kind, string key, JsonElement body, List<string> problems, Action<string, string> name)
    {
        var formals = Formals.GetValueOrDefault(kind) ?? [];
        foreach (var attribute in body.EnumerateObject())
        {
            if (formals.Contains(attribute.Name))
                continue;
            name(attribute.Name, $"{kind} {key} attribute");
            // 8. Only label, location, role, type and value from PROV; role and value where they belong; never prov:name.
            switch (attribute.Name)
            {
                case "prov:role" when kind is not ("used" or "wasGeneratedBy" or "wasAssociatedWith" or "wasAttributedTo"):
                    problems.Add($"8: prov:role on {kind} {key}");
                    break;
                case "prov:value" when kind != "entity":
                    problems.Add($"8: prov:value on {kind} {key}");
                    break;
                case "prov:label" or "prov:location" or "prov:role" or "prov:type" or "prov:value":
                    break;
                case var other when other.StartsWith("prov:", StringComparison.Ordinal):
                    problems.Add($"8: {kind} {key} has {other}");
                    break;
            }

            foreach (var value in Values(attribute.Value))
            {
                if (value.ValueKind == JsonValueKind.Object)
                {
                    var type = value.TryGetProperty("type", out var t) ? t.GetString() : null;
                    if (type is null || !value.TryGetProperty("$", out var text))
                    {
                        problems.Add($"1: {kind} {key} {attribute.Name}: a typed value needs \"$\" and \"type\"");
                        continue;
                    }

                    name(type, $"{kind} {key} {attribute.Name} type");
                    if (type == "prov:QUALIFIED_NAME")
                    {
                        name(text.GetString() ?? "", $"{kind} {key} {attribute.Name} value");
                        // 9. voprov types are ProvDM class names.
                        if (attribute.Name == "prov:type" && text.GetString() is { } q && q.StartsWith("voprov:", StringComparison.Ordinal) && !ProvDmClasses.Contains(q[7..]))
                            problems.Add($"9: {kind} {key} has prov:type {q}, not a ProvDM class");
                    }
                    else if (type == "xsd:dateTime" && !DateTimeOffset.TryParse(text.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                    {
                        problems.Add($"1: {kind} {key} {attribute.Name}: '{text.GetString()}' is not an xsd:dateTime");
                    }
                }
                else if (value.ValueKind != JsonValueKind.String)
                {
                    problems.Add($"1: {kind} {key} {attribute.Name}: unexpected {value.ValueKind}");
                }
            }
        }
    }

    public static IEnumerable<(string Key, JsonElement Body)> Records(JsonElement root, string kind)
    {
        if (!root.TryGetProperty(kind, out var section) || section.ValueKind != JsonValueKind.Object)
            yield break;
        foreach (var record in section.EnumerateObject())
            yield return (record.Name, record.Value);
    }

    /// <summary>The values of prov:type (qualified names or strings).</summary>
    public static IEnumerable<string> Types(JsonElement body) =>
        body.TryGetProperty("prov:type", out var type)
            ? Values(type).Select(v => v.ValueKind == JsonValueKind.Object ? v.GetProperty("$").GetString()! : v.GetString()!)
            : [];

    public static string? Str(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.Object ? value.GetProperty("$").GetString() : value.GetString() : null;

    private static IEnumerable<JsonElement> Values(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [value];

    private static DateTimeOffset? Time(JsonElement body, string name)
    {
        var text = Str(body, name);
        // Section 7.4: UTC with an explicit Z or +00:00.
        if (text is null || !(text.EndsWith('Z') || text.EndsWith("+00:00", StringComparison.Ordinal)))
            return null;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();
}
