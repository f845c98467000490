using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>
/// The last step of every reader: brings a parsed definition to its canonical form, validates it and
/// throws one <see cref="OpusValidationException"/> naming the source and listing every problem.
/// </summary>
/// <remarks>
/// Canonical form, the same whatever the format:
/// an empty optional text is absent (OPUS writes value="" for "not set", and VOTable cannot tell the two apart);
/// an empty options list is absent; resources with nothing set are absent;
/// the script's CRLF line ends become LF (OPUS's editor posts CRLF, OPUS strips '\r' before running
/// the script, and bash would otherwise see "\r" at the end of every command).
/// </remarks>
internal static class DefinitionCleanup
{
    public static JobDefinition Finish(JobDefinition? definition, string source, List<string>? problems = null)
    {
        if (definition is null)
            throw new OpusValidationException($"{source}: the document is empty");
        problems ??= [];
        Canonicalize(definition, problems);
        problems.AddRange(DefinitionValidator.Validate(definition));
        if (problems.Count > 0)
            throw new OpusValidationException($"{source}: {string.Join("; ", problems)}");
        return definition;
    }

    private static void Canonicalize(JobDefinition d, List<string> problems)
    {
        d.Name ??= "";
        d.Version ??= "";
        d.Script = (d.Script ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);
        d.Description = Text(d.Description);
        d.Type = Text(d.Type);
        d.Subtype = Text(d.Subtype);
        d.Doculink = Text(d.Doculink);
        d.ContactName = Text(d.ContactName);
        d.ContactEmail = Text(d.ContactEmail);

        if (d.ServiceDescriptor is { Count: 0 })
            d.ServiceDescriptor = null;
        if (d.ServiceDescriptor is { } service)
        {
            // A YAML "accessURL:" with no value is null: an empty value, as VOTable writes it.
            d.ServiceDescriptor = service.ToDictionary(p => p.Key, p => p.Value ?? "");
            foreach (var name in service.Keys.Where(n => string.IsNullOrWhiteSpace(n) || DefinitionVoTable.ActivityParams.Contains(n, StringComparer.OrdinalIgnoreCase)))
                problems.Add($"serviceDescriptor: '{name}' cannot be a service descriptor PARAM (it is empty or a field of the definition)");
        }

        if (d.Resources is { } r)
        {
            r.Manager = Text(r.Manager);
            r.Partition = Text(r.Partition);
            r.Memory = Text(r.Memory);
            r.Network = Text(r.Network);
            r.OutputSize = Text(r.OutputSize);
            r.Gres = Text(r.Gres);
            r.Constraint = Text(r.Constraint);
            r.Account = Text(r.Account);
            r.Qos = Text(r.Qos);
            if (r is { Manager: null, Partition: null, Cpus: null, Memory: null, Network: null, CpuTime: null, Processes: null, OutputSize: null,
                     Nodes: null, Tasks: null, Gres: null, Constraint: null, Account: null, Qos: null, Requeue: null })
                d.Resources = null;
        }

        d.Parameters = Entries(d.Parameters, "parameters", problems);
        foreach (var p in d.Parameters)
        {
            p.Name ??= "";
            p.Type ??= "";
            p.Default = Text(p.Default);
            p.Description = Text(p.Description);
            p.Unit = Text(p.Unit);
            p.Ucd = Text(p.Ucd);
            p.Utype = Text(p.Utype);
            p.Min = Text(p.Min);
            p.Max = Text(p.Max);
            if (p.Options is { Count: 0 })
                p.Options = null;
            if (p.Options is not null && p.Options.Any(o => o is null))
            {
                problems.Add($"parameters ({p.Name}).options: an option is empty (null)");
                p.Options = p.Options.Where(o => o is not null).ToList();
            }
        }

        d.Used = Entries(d.Used, "used", problems);
        foreach (var u in d.Used)
        {
            u.Name ??= "";
            u.Role = Text(u.Role);
            u.Description = Text(u.Description);
            u.ContentType = Text(u.ContentType);
            u.Multiplicity = Text(u.Multiplicity);
            u.Default = Text(u.Default);
            u.Url = Text(u.Url);
            u.File = Text(u.File);
        }

        d.Generated = Entries(d.Generated, "generated", problems);
        foreach (var g in d.Generated)
        {
            g.Name ??= "";
            g.File ??= "";
            g.ContentType = Text(g.ContentType);
            g.Description = Text(g.Description);
            g.Role = Text(g.Role);
            g.Multiplicity = Text(g.Multiplicity);
        }
    }

    private static string? Text(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // A YAML "- " or a JSON null in a list would otherwise reach the validator as a null entry.
    private static List<T> Entries<T>(List<T>? list, string field, List<string> problems) where T : class
    {
        if (list is null)
            return [];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
                problems.Add($"{field}[{i}]: the entry is empty");
        }

        return list.Where(item => item is not null).ToList();
    }
}
