using System.Text.RegularExpressions;

namespace Opus.Core.Provenance;

/// <summary>
/// A job's own detailed provenance (PROV-JSON its script wrote, e.g. with logprov), rewritten so it
/// obeys our rules (sections 3 and 8) before it is stored with the job's activity: identifiers moved
/// under opus_job:NAME/ID/internal/, entities that are the job's input or result files replaced by
/// ours (matched by SHA-256 or file name), times inside the job's interval, only PROV/voprov
/// attributes, no second generation of an entity, no relation without both ends.
/// </summary>
public static partial class InternalProvenance
{
    /// <summary>A file the job used or generated, as the internal provenance may name it.</summary>
    public sealed record KnownFile(string FileName, string Sha256, string EntityId);

    public sealed record Context(string Definition, string JobId, DateTime Start, DateTime End, IReadOnlyList<KnownFile> Files);

    public const int MaxRecords = 5000;

    /// <summary>ProvDM class names a voprov prov:type may take (invariant 9); others are kept as plain strings.</summary>
    private static readonly HashSet<string> ProvDmClasses = new(StringComparer.Ordinal)
    {
        "Activity", "ActivityFlow", "Entity", "DatasetEntity", "ValueEntity", "Collection", "Agent", "ActivityDescription",
        "EntityDescription", "DatasetDescription", "ValueDescription", "UsageDescription", "GenerationDescription", "Parameter",
        "ParameterDescription", "ConfigFile", "ConfigFileDescription",
    };

    private static readonly HashSet<ProvKind> KeptRelations =
        [ProvKind.Used, ProvKind.WasGeneratedBy, ProvKind.WasDerivedFrom, ProvKind.WasAssociatedWith, ProvKind.WasAttributedTo, ProvKind.SpecializationOf];

    /// <summary>Rewrites the job's PROV-JSON; the notes say what was left out and why.</summary>
    /// <exception cref="FormatException">When the text is not PROV-JSON.</exception>
    public static ProvDocument Rewrite(string json, Context context, List<string> notes)
    {
        var source = ProvJsonReader.Read(json);
        foreach (var kind in source.Skipped)
            notes.Add($"'{kind}' records are not merged");
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, ProvKind>(StringComparer.Ordinal);
        var ours = new HashSet<string>(StringComparer.Ordinal);
        var result = new ProvDocument();
        var dropped = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var element in source.Document.Elements.Take(MaxRecords))
        {
            if (element.Id is null || ids.ContainsKey(element.Id))
                continue;
            if (element.Kind == ProvKind.Entity && Match(element, context) is { } known)
            {
                ids[element.Id] = known;
                kinds[known] = ProvKind.Entity;
                ours.Add(known);
                continue;
            }

            var id = ProvNames.JobEntityId(context.Definition, context.JobId, $"internal/{LocalPath(element.Id)}");
            ids[element.Id] = id;
            kinds[id] = element.Kind;
            IReadOnlyList<string?> formals = [];
            if (element.Kind == ProvKind.Activity)
            {
                var start = Clamp(ProvNames.ParseTime(element.Formals[0]) ?? context.Start, context);
                var end = Clamp(ProvNames.ParseTime(element.Formals[1]) ?? context.End, context);
                formals = [ProvNames.FormatTime(start <= end ? start : end), ProvNames.FormatTime(end)];
            }

            result.Records.Add(new ProvRecord(element.Kind, id, formals, Attributes(element, dropped)));
        }

        var generated = new HashSet<string>(ours, StringComparer.Ordinal);
        var relations = 0;
        foreach (var relation in source.Document.Relations)
        {
            if (!KeptRelations.Contains(relation.Kind))
            {
                dropped.Add(ProvKinds.NameOf(relation.Kind));
                continue;
            }

            if (++relations > MaxRecords)
                break;
            var names = ProvKinds.FormalsOf(relation.Kind);
            var formals = new string?[names.Count];
            for (var i = 0; i < names.Count && i < relation.Formals.Count; i++)
            {
                var value = relation.Formals[i];
                formals[i] = value is null ? null : names[i].IsTime ? value : ids.GetValueOrDefault(value);
            }

            // The server records the generation of the job's own files (by the job); an entity is generated once (invariant 6).
            if (relation.Kind == ProvKind.WasGeneratedBy && (formals[0] is null || !generated.Add(formals[0]!)))
                continue;
            var record = new ProvRecord(relation.Kind, null, formals, Attributes(relation, dropped));
            if (!ProvenanceChecks.EndsAreDeclared(record, kinds))
                continue;
            if (relation.Kind is ProvKind.Used or ProvKind.WasGeneratedBy)
            {
                // Usage and generation within the activity's interval (invariant 7).
                var activity = result.Find(formals[relation.Kind == ProvKind.Used ? 0 : 1]!);
                var time = ProvNames.ParseTime(formals[2]);
                if (activity is not null && time is { } t)
                {
                    var from = ProvNames.ParseTime(activity.Formals[0])!.Value;
                    var to = ProvNames.ParseTime(activity.Formals[1])!.Value;
                    formals[2] = ProvNames.FormatTime(t < from ? from : t > to ? to : t);
                }
                else
                {
                    formals[2] = time is null ? null : ProvNames.FormatTime(Clamp(time.Value, context));
                }

                record = new ProvRecord(relation.Kind, null, formals, record.Attributes);
            }

            result.Records.Add(record);
        }

        if (dropped.Count > 0)
            notes.Add($"left out: {string.Join(", ", dropped)}");
        return result;
    }

    /// <summary>Which of the job's files an internal entity is: by a SHA-256 it mentions, else by file name.</summary>
    private static string? Match(ProvRecord entity, Context context)
    {
        var texts = entity.Attributes.Select(a => a.Value.Text).Prepend(entity.Id!).ToList();
        foreach (var text in texts)
        {
            foreach (Match digest in Sha256Pattern().Matches(text))
            {
                if (context.Files.FirstOrDefault(f => f.Sha256.Equals(digest.Value, StringComparison.OrdinalIgnoreCase)) is { } file)
                    return file.EntityId;
            }
        }

        var names = new[] { "prov:location", "voprov:location", "prov:label", "voprov:name" }
            .SelectMany(entity.AttributeValues).Select(v => FileName(v.Text)).Where(n => n.Length > 0).ToList();
        return context.Files.FirstOrDefault(f => names.Contains(f.FileName, StringComparer.Ordinal))?.EntityId;
    }

    private static string FileName(string location)
    {
        var path = location.Trim();
        if (path.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            path = path[7..];
        path = path.Split('?', '#')[0].TrimEnd('/');
        return path[(path.LastIndexOf('/') + 1)..];
    }

    /// <summary>PREFIX/LOCAL of a qualified name ("_" for the default namespace), the path under .../internal/.</summary>
    private static string LocalPath(string qualifiedName)
    {
        var colon = qualifiedName.IndexOf(':');
        return colon < 0 ? $"_/{qualifiedName}" : $"{(colon == 0 ? "_" : qualifiedName[..colon])}/{qualifiedName[(colon + 1)..]}";
    }

    private static DateTime Clamp(DateTime time, Context context) =>
        time < context.Start ? context.Start : time > context.End ? context.End : time;

    /// <summary>Only the PROV attributes invariant 8 allows, and voprov ones; prov:type as a ProvDM class or a plain string.</summary>
    private static List<ProvAttribute> Attributes(ProvRecord record, SortedSet<string> dropped)
    {
        var kept = new List<ProvAttribute>();
        foreach (var (name, value) in record.Attributes)
        {
            switch (name)
            {
                case "prov:label" or "prov:location":
                    kept.Add(new(name, new ProvValue(value.Text)));
                    break;
                case "prov:value" when record.Kind == ProvKind.Entity:
                    kept.Add(new(name, value.Datatype is null or "xsd:string" || value.Datatype.StartsWith("xsd:", StringComparison.Ordinal) ? value : new ProvValue(value.Text)));
                    break;
                case "prov:role" when record.Kind is ProvKind.Used or ProvKind.WasGeneratedBy or ProvKind.WasAssociatedWith or ProvKind.WasAttributedTo:
                    kept.Add(new(name, new ProvValue(value.Text)));
                    break;
                case "prov:type":
                    kept.Add(new(name, TypeValue(value)));
                    break;
                case "prov:generatedAtTime" when record.Kind == ProvKind.Entity && ProvNames.ParseTime(value.Text) is { } time:
                    // PROV has no such attribute; ProvDM's is voprov:generatedAtTime (section 1.1).
                    kept.Add(new("voprov:generatedAtTime", ProvValue.Time(time)));
                    break;
                case var voprov when voprov.StartsWith("voprov:", StringComparison.Ordinal):
                    kept.Add(new(name, value.Datatype is null || value.Datatype.StartsWith("xsd:", StringComparison.Ordinal) ? value : new ProvValue(value.Text)));
                    break;
                default:
                    dropped.Add(name);
                    break;
            }
        }

        return kept;
    }

    private static ProvValue TypeValue(ProvValue value)
    {
        var text = value.Text.Trim();
        if (text.StartsWith("voprov:", StringComparison.Ordinal) && ProvDmClasses.Contains(text[7..]))
            return ProvValue.Name(text);
        if (value.IsQualifiedName && text.StartsWith("prov:", StringComparison.Ordinal))
            return value;
        return new ProvValue(text);
    }

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex Sha256Pattern();
}
