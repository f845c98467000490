namespace Opus.Core.Provenance;

/// <summary>
/// One PROV expression: an element (activity, entity, agent) with its identifier, or a relation
/// (anonymous here: writers number them). <see cref="Formals"/> hold the positional arguments in the
/// order of <see cref="ProvKinds.FormalsOf"/> (identifiers or times; null for an absent optional one).
/// </summary>
public sealed class ProvRecord(ProvKind kind, string? id, IReadOnlyList<string?> formals, List<ProvAttribute>? attributes = null)
{
    public ProvKind Kind { get; } = kind;

    public string? Id { get; } = id;

    public IReadOnlyList<string?> Formals { get; } = formals;

    public List<ProvAttribute> Attributes { get; } = attributes ?? [];

    /// <summary>The formal argument of the given PROV name (e.g. "prov:activity"), or null.</summary>
    public string? Formal(string name)
    {
        var names = ProvKinds.FormalsOf(Kind);
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i].Name == name)
                return i < Formals.Count ? Formals[i] : null;
        }

        return null;
    }

    /// <summary>The first value of an attribute, or null.</summary>
    public ProvValue? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    public IEnumerable<ProvValue> AttributeValues(string name) => Attributes.Where(a => a.Name == name).Select(a => a.Value);

    public ProvRecord Add(string name, ProvValue value)
    {
        Attributes.Add(new ProvAttribute(name, value));
        return this;
    }

    public ProvRecord Add(string name, string? text) => text is null ? this : Add(name, new ProvValue(text));

    /// <summary>A key that is equal for identical relations (same kind, arguments and attributes), for de-duplication.</summary>
    public string Signature() =>
        string.Join('\u001f', new[] { Kind.ToString(), Id ?? "" }
            .Concat(Formals.Select(f => f ?? "-"))
            .Concat(Attributes.Select(a => $"{a.Name}={a.Value.Text}^{a.Value.Datatype}")));

    public override string ToString() => $"{ProvKinds.NameOf(Kind)}({Id ?? string.Join(", ", Formals.Select(f => f ?? "-"))})";
}

/// <summary>An attribute-value pair; an attribute with several values is several pairs of the same name.</summary>
public sealed record ProvAttribute(string Name, ProvValue Value);

/// <summary>
/// A literal: a plain string (<see cref="Datatype"/> null), a qualified name
/// (<see cref="QualifiedName"/>), or a typed literal such as "xsd:dateTime".
/// </summary>
public sealed record ProvValue(string Text, string? Datatype = null)
{
    public const string QualifiedName = "prov:QUALIFIED_NAME";
    public const string DateTime = "xsd:dateTime";

    public bool IsQualifiedName => Datatype == QualifiedName;

    public static ProvValue Name(string qualifiedName) => new(qualifiedName, QualifiedName);

    public static ProvValue Time(System.DateTime time) => new(ProvNames.FormatTime(time), DateTime);
}
