namespace Opus.Core.Provenance;

/// <summary>Structural rules a relation must meet before it is written (provenance.md section 8, invariant 3).</summary>
public static class ProvenanceChecks
{
    /// <summary>The kind of element each identifier argument must name; null: any element.</summary>
    public static ProvKind? RequiredKind(ProvKind relation, string formal) => formal switch
    {
        "prov:activity" => ProvKind.Activity,
        "prov:agent" => ProvKind.Agent,
        "prov:entity" or "prov:specificEntity" or "prov:generalEntity" or "prov:generatedEntity" or "prov:usedEntity" or "prov:plan" => ProvKind.Entity,
        _ => null,
    };

    /// <summary>True when every identifier argument names a declared element of the right kind and the required ones are present.</summary>
    public static bool EndsAreDeclared(ProvRecord relation, IReadOnlyDictionary<string, ProvKind> elements)
    {
        var formals = ProvKinds.FormalsOf(relation.Kind);
        var required = relation.Kind switch
        {
            ProvKind.Used or ProvKind.WasGeneratedBy or ProvKind.WasAssociatedWith => 2,
            _ => ProvKinds.RequiredCount(relation.Kind),
        };
        for (var i = 0; i < formals.Count; i++)
        {
            var value = i < relation.Formals.Count ? relation.Formals[i] : null;
            if (value is null)
            {
                if (i < required)
                    return false;
                continue;
            }

            // prov:generation / prov:usage name relations, which we never identify.
            if (formals[i].IsTime || formals[i].Name is "prov:generation" or "prov:usage")
                continue;
            if (!elements.TryGetValue(value, out var kind) || (RequiredKind(relation.Kind, formals[i].Name) is { } wanted && wanted != kind))
                return false;
        }

        return true;
    }
}
