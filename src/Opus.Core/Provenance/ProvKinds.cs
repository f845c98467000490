namespace Opus.Core.Provenance;

/// <summary>The PROV record kinds we read and write.</summary>
public enum ProvKind
{
    Activity,
    Entity,
    Agent,
    Used,
    WasGeneratedBy,
    WasAssociatedWith,
    WasAttributedTo,
    WasInfluencedBy,
    SpecializationOf,
    WasDerivedFrom,
}

/// <summary>A positional argument of a PROV expression: its PROV-JSON/PROV-XML name, and whether it is a time (else an identifier).</summary>
public sealed record ProvFormal(string Name, bool IsTime = false)
{
    /// <summary>The element name in PROV-XML / key in PROV-JSON without the prefix.</summary>
    public string LocalName => Name[(Name.IndexOf(':') + 1)..];
}

/// <summary>Names and argument lists of the record kinds (PROV-DM / PROV-N / PROV-JSON).</summary>
public static class ProvKinds
{
    private static readonly Dictionary<ProvKind, (string Name, ProvFormal[] Formals)> Table = new()
    {
        [ProvKind.Activity] = ("activity", [new("prov:startTime", true), new("prov:endTime", true)]),
        [ProvKind.Entity] = ("entity", []),
        [ProvKind.Agent] = ("agent", []),
        [ProvKind.Used] = ("used", [new("prov:activity"), new("prov:entity"), new("prov:time", true)]),
        [ProvKind.WasGeneratedBy] = ("wasGeneratedBy", [new("prov:entity"), new("prov:activity"), new("prov:time", true)]),
        [ProvKind.WasAssociatedWith] = ("wasAssociatedWith", [new("prov:activity"), new("prov:agent"), new("prov:plan")]),
        [ProvKind.WasAttributedTo] = ("wasAttributedTo", [new("prov:entity"), new("prov:agent")]),
        [ProvKind.WasInfluencedBy] = ("wasInfluencedBy", [new("prov:influencee"), new("prov:influencer")]),
        [ProvKind.SpecializationOf] = ("specializationOf", [new("prov:specificEntity"), new("prov:generalEntity")]),
        [ProvKind.WasDerivedFrom] = ("wasDerivedFrom",
            [new("prov:generatedEntity"), new("prov:usedEntity"), new("prov:activity"), new("prov:generation"), new("prov:usage")]),
    };

    /// <summary>How many leading arguments are required (PROV-N writes the optional group whole or not at all).</summary>
    public static int RequiredCount(ProvKind kind) => kind switch
    {
        ProvKind.Activity or ProvKind.Entity or ProvKind.Agent => 0,
        ProvKind.Used or ProvKind.WasGeneratedBy or ProvKind.WasAssociatedWith => 1,
        _ => 2,
    };

    /// <summary>The order of record kinds in a written document (spec 7.4: elements first, then relations).</summary>
    public static readonly IReadOnlyList<ProvKind> WriteOrder =
    [
        ProvKind.Activity, ProvKind.Entity, ProvKind.Agent, ProvKind.Used, ProvKind.WasGeneratedBy, ProvKind.SpecializationOf,
        ProvKind.WasAssociatedWith, ProvKind.WasAttributedTo, ProvKind.WasInfluencedBy, ProvKind.WasDerivedFrom,
    ];

    public static string NameOf(ProvKind kind) => Table[kind].Name;

    public static IReadOnlyList<ProvFormal> FormalsOf(ProvKind kind) => Table[kind].Formals;

    public static ProvKind? Parse(string name) =>
        Table.Where(t => t.Value.Name == name).Select(t => (ProvKind?)t.Key).FirstOrDefault();

    public static bool IsElement(this ProvKind kind) => kind is ProvKind.Activity or ProvKind.Entity or ProvKind.Agent;
}
