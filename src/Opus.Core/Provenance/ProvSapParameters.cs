using System.Globalization;
using Opus.Core.Jobs;

namespace Opus.Core.Provenance;

/// <summary>
/// Reads ProvSAP request parameters (section 7.1): names and enumerated values case-insensitive,
/// ID repeatable, any other parameter given twice is refused, unknown ones ignored. Every refusal
/// is an <see cref="OpusValidationException"/> that names the parameter.
/// </summary>
public static class ProvSapParameters
{
    private static readonly string[] SingleValued = ["DEPTH", "DIRECTION", "MODEL", "RESPONSEFORMAT", "AGENTS", "DESCRIPTIONS", "CONFIGURATION", "ATTRIBUTES", "GD", "MEMBERS"];

    /// <param name="fixedIds">When given (the per-job shortcuts), the start points; ID in the request is then ignored.</param>
    public static ProvenanceQuery Parse(IEnumerable<KeyValuePair<string, string?>> parameters, string baseUrl, IReadOnlyList<string>? fixedIds = null)
    {
        var values = parameters
            .GroupBy(p => p.Key.Trim().ToUpperInvariant())
            .ToDictionary(g => g.Key, g => g.Select(p => p.Value ?? "").ToList());
        foreach (var name in SingleValued)
        {
            if (values.TryGetValue(name, out var given) && given.Count > 1)
                throw new OpusValidationException($"{name} is given {given.Count} times; give it once");
        }

        IReadOnlyList<string> ids;
        if (fixedIds is not null)
        {
            ids = fixedIds;
        }
        else
        {
            if (!values.TryGetValue("ID", out var idValues) || idValues.Count == 0)
                throw new OpusValidationException("ID is missing: give a job id or an entity (a SHA-256 digest, opus_store:DIGEST or a store URL); ID may be repeated");
            if (idValues.Any(string.IsNullOrWhiteSpace))
                throw new OpusValidationException("ID: a value is empty");
            ids = idValues.Select(v => v.Trim()).Distinct(StringComparer.Ordinal).ToList();
        }

        string? One(string name) => values.TryGetValue(name, out var v) ? v[0].Trim() : null;

        var query = new ProvenanceQuery { Ids = ids, BaseUrl = baseUrl };
        if (One("DEPTH") is { } depth)
        {
            query = query with
            {
                Depth = depth.Equals("ALL", StringComparison.OrdinalIgnoreCase) ? null
                    : int.TryParse(depth, NumberStyles.None, CultureInfo.InvariantCulture, out var steps) ? steps
                    : throw Bad("DEPTH", depth, "give a number of steps (0, 1, 2...) or ALL"),
            };
        }

        if (One("DIRECTION") is { } direction)
        {
            query = query with
            {
                Direction = direction.ToUpperInvariant() switch
                {
                    "BACK" or "BACKWARD" => ProvenanceDirection.Back,
                    "FORWARD" or "FORTH" => ProvenanceDirection.Forward,
                    "BOTH" => ProvenanceDirection.Both,
                    _ => throw Bad("DIRECTION", direction, "give BACK (BACKWARD), FORWARD (FORTH) or BOTH"),
                },
            };
        }

        if (One("MODEL") is { } model)
        {
            query = query with
            {
                Model = model.ToUpperInvariant() switch
                {
                    "IVOA" => ProvenanceModel.Ivoa,
                    "W3C" => ProvenanceModel.W3C,
                    _ => throw Bad("MODEL", model, "give IVOA or W3C"),
                },
            };
        }

        if (One("RESPONSEFORMAT") is { } format)
            query = query with { Format = ProvenanceFormats.Parse(format) ?? throw Bad("RESPONSEFORMAT", format, "give PROV-JSON, PROV-XML, PROV-N, PROV-SVG or PROV-PNG (or their media types)") };
        if (One("AGENTS") is { } agents)
            query = query with { Agents = Flag("AGENTS", agents) };
        if (One("DESCRIPTIONS") is { } descriptions)
        {
            query = query with
            {
                Descriptions = descriptions is "0" or "1" or "2"
                    ? descriptions[0] - '0'
                    : throw Bad("DESCRIPTIONS", descriptions, "give 0 (none), 1 (activity descriptions) or 2 (all descriptions)"),
            };
        }

        if (One("CONFIGURATION") is { } configuration)
            query = query with { Configuration = Flag("CONFIGURATION", configuration) };
        if (One("ATTRIBUTES") is { } attributes)
            query = query with { Attributes = Flag("ATTRIBUTES", attributes) };
        if (One("GD") is { } graph)
        {
            var rankdir = graph.ToUpperInvariant();
            query = query with { GraphDirection = rankdir is "LR" or "RL" or "TB" or "BT" ? rankdir : throw Bad("GD", graph, "give LR, RL, TB or BT") };
        }

        if (One("MEMBERS") is { } members)
            Flag("MEMBERS", members);
        return query;
    }

    private static bool Flag(string name, string value) => value.ToLowerInvariant() switch
    {
        "1" or "true" => true,
        "0" or "false" => false,
        _ => throw Bad(name, value, "give 0 or 1 (false or true)"),
    };

    private static OpusValidationException Bad(string name, string value, string hint) =>
        new($"{name}: '{(value.Length > 40 ? value[..40] + "..." : value)}' is not allowed; {hint}");
}
