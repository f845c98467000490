using Opus.Core.Definitions;

namespace Opus.Core.Provenance;

/// <summary>What a job definition says as ProvDM descriptions (provenance.md section 6.1).</summary>
internal static class ProvenanceDescriptions
{
    /// <summary>voprov:valueType: the VOTable datatype, "[*]" for text, ";xtype=..." when there is one (e.g. char[*];xtype=timestamp).</summary>
    public static string ValueType(ParameterDefinition parameter)
    {
        var (datatype, xtype) = OpusDatatypes.ToVoTable(parameter.Type);
        return datatype + (datatype == "char" ? "[*]" : "") + (xtype is null ? "" : $";xtype={xtype}");
    }

    /// <summary>The attributes a ParameterDescription has, also copied onto a Parameter when descriptions are off.</summary>
    public static IEnumerable<ProvAttribute> ParameterAttributes(ParameterDefinition parameter)
    {
        yield return new("voprov:valueType", new(ValueType(parameter)));
        foreach (var (name, value) in new[]
                 {
                     ("voprov:default", parameter.Default), ("voprov:description", parameter.Description), ("voprov:unit", parameter.Unit),
                     ("voprov:ucd", parameter.Ucd), ("voprov:utype", parameter.Utype), ("voprov:min", parameter.Min), ("voprov:max", parameter.Max),
                 })
        {
            if (!string.IsNullOrEmpty(value))
                yield return new(name, new(value));
        }

        foreach (var option in parameter.Options ?? [])
            yield return new("voprov:options", new(option));
    }

    public static ProvRecord ActivityDescription(JobDefinition definition)
    {
        var record = Typed(ProvNames.ActivityDescriptionId(definition.Name), "ActivityDescription")
            .Add("prov:label", definition.Name)
            .Add("voprov:name", definition.Name)
            .Add("voprov:version", definition.Version)
            .Add("voprov:description", NonEmpty(definition.Description))
            .Add("voprov:docurl", NonEmpty(definition.Doculink))
            .Add("voprov:type", NonEmpty(definition.Type))
            .Add("voprov:subtype", NonEmpty(definition.Subtype));
        if (definition.ExecutionDuration > 0)
            record.Add("uws:executionDuration", definition.ExecutionDuration.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (definition.Quote is { } quote)
            record.Add("uws:quote", quote.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return record;
    }

    /// <summary>The contact agent of a definition (contact_name, else contact_email), or null.</summary>
    public static ProvRecord? Contact(JobDefinition definition)
    {
        var name = NonEmpty(definition.ContactName) ?? NonEmpty(definition.ContactEmail);
        return name is null
            ? null
            : new ProvRecord(ProvKind.Agent, ProvNames.UserId(name), []).Add("prov:label", name).Add("voprov:email", NonEmpty(definition.ContactEmail));
    }

    /// <summary>A Usage or Generation description (opus_jdl:NAME#ROLE).</summary>
    public static ProvRecord Part(string definition, string kind, string role, string? description, string? multiplicity) =>
        Typed(ProvNames.DescriptionPartId(definition, role), kind)
            .Add("prov:label", role)
            .Add("voprov:role", role)
            .Add("voprov:description", NonEmpty(description))
            .Add("voprov:multiplicity", NonEmpty(multiplicity) ?? "1");

    public static ProvRecord ParameterDescription(string definition, ParameterDefinition parameter)
    {
        var record = Typed(ProvNames.DescriptionPartId(definition, parameter.Name), "ParameterDescription")
            .Add("prov:label", parameter.Name)
            .Add("voprov:name", parameter.Name);
        record.Attributes.AddRange(ParameterAttributes(parameter));
        return record;
    }

    public static ProvRecord DatasetDescription(string contentType) =>
        Typed(ProvNames.MediaTypeId(contentType), "DatasetDescription")
            .Add("prov:label", contentType)
            .Add("voprov:name", contentType)
            .Add("voprov:contentType", contentType);

    public static ProvRecord Typed(string id, string voprovClass) =>
        new ProvRecord(ProvKind.Entity, id, []).Add("prov:type", ProvValue.Name($"voprov:{voprovClass}"));

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
