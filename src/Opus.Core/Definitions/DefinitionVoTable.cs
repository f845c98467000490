// Hand-written on purpose: no .NET library reads or writes VOTable ActivityDescriptions (issue 20).
using System.Globalization;
using System.Xml.Linq;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>
/// Reads and writes job definitions as IVOA VOTable ActivityDescriptions, in the layout OPUS writes
/// (jdl/votable/&lt;name&gt;_vot.xml): one RESOURCE type="meta" utype="voprov:ActivityDescription" with the
/// description, PARAMs doculink, type, subtype, version, contact_name, contact_email, executionDuration,
/// quote and script, and GROUPs InputParams, Used and Generated.
/// </summary>
/// <remarks>
/// Our fields OPUS has no place for are written in OPUS's own way, with "opus:" utypes, and only when set,
/// so that an OPUS file read and written back keeps its structure: PARAMs "required" and "file" in a
/// Used group, and a GROUP "Resources" (manager, partition, cpus, memory, network, cpuTime, processes, outputSize). A generated result's file name or glob
/// is OPUS's "default" of the group. Reading follows OPUS: an empty value is no value, a parameter is
/// required unless type="no_query", a missing version is "1"; it also reads OPUS's older layout
/// (Used and Generated entities as PARAMs with a LINK) and accepts any VOTable namespace. Any other PARAM
/// of the RESOURCE, or of a DataLink service descriptor RESOURCE (utype="adhoc:service") beside it, such as
/// accessURL and standardID, is kept as the definition's service descriptor and written back as a PARAM.
/// </remarks>
public static class DefinitionVoTable
{
    public static readonly XNamespace Namespace = "http://www.ivoa.net/xml/VOTable/v1.3";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private const string SchemaLocation = "http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/v1.3";

    private const string InputParams = "InputParams";
    private const string UsedGroup = "Used";
    private const string GeneratedGroup = "Generated";
    private const string ResourcesGroup = "Resources";
    private const string NotRequired = "no_query";

    /// <summary>The RESOURCE's own PARAMs (read below); a service descriptor PARAM cannot take one of these names.</summary>
    internal static readonly string[] ActivityParams =
        ["doculink", "type", "subtype", "version", "contact_name", "contact_email", "executionDuration", "quote", "script"];

    /// <summary>Parses and validates; throws <see cref="OpusValidationException"/> listing every problem.</summary>
    public static JobDefinition Read(string xml, string source)
    {
        var problems = new List<string>();
        return DefinitionCleanup.Finish(Parse(xml, source, problems), source, problems);
    }

    public static string Write(JobDefinition definition)
    {
        var resource = new XElement(Namespace + "RESOURCE",
            new XAttribute("ID", definition.Name),
            new XAttribute("name", definition.Name),
            new XAttribute("type", "meta"),
            new XAttribute("utype", "voprov:ActivityDescription"));
        if (definition.Description is not null)
            resource.Add(new XElement(Namespace + "DESCRIPTION", definition.Description));
        resource.Add(
            TextParam("doculink", definition.Doculink, "voprov:ActivityDescription.doculink"),
            TextParam("type", definition.Type, "voprov:ActivityDescription.type"),
            TextParam("subtype", definition.Subtype, "voprov:ActivityDescription.subtype"),
            TextParam("version", definition.Version, "voprov:ActivityDescription.version"),
            TextParam("contact_name", definition.ContactName, "voprov:Agent.name"),
            TextParam("contact_email", definition.ContactEmail, "voprov:Agent.email"),
            IntParam("executionDuration", definition.ExecutionDuration, "uws:Job.executionDuration"),
            IntParam("quote", definition.Quote, "uws:Job.quote"),
            TextParam("script", definition.Script, utype: null),
            (definition.ServiceDescriptor ?? []).Select(p => TextParam(p.Key, p.Value, utype: null)),
            new XElement(Namespace + "GROUP", new XAttribute("name", InputParams), definition.Parameters.Select(WriteParameter)),
            new XElement(Namespace + "GROUP", new XAttribute("name", UsedGroup), definition.Used.Select(WriteUsed)),
            new XElement(Namespace + "GROUP", new XAttribute("name", GeneratedGroup), definition.Generated.Select(WriteGenerated)));
        if (definition.Resources is { } resources)
        {
            resource.Add(new XElement(Namespace + "GROUP",
                new XAttribute("name", ResourcesGroup),
                new XAttribute("utype", "opus:JobResources"),
                resources.Manager is null ? null : TextParam("manager", resources.Manager, "opus:JobResources.manager"),
                resources.Partition is null ? null : TextParam("partition", resources.Partition, "opus:JobResources.partition"),
                resources.Cpus is null ? null : IntParam("cpus", resources.Cpus, "opus:JobResources.cpus"),
                resources.Memory is null ? null : TextParam("memory", resources.Memory, "opus:JobResources.memory"),
                resources.Network is null ? null : TextParam("network", resources.Network, "opus:JobResources.network"),
                resources.CpuTime is null ? null : IntParam("cpuTime", resources.CpuTime, "opus:JobResources.cpuTime"),
                resources.Processes is null ? null : IntParam("processes", resources.Processes, "opus:JobResources.processes"),
                resources.OutputSize is null ? null : TextParam("outputSize", resources.OutputSize, "opus:JobResources.outputSize"),
                resources.Nodes is null ? null : IntParam("nodes", resources.Nodes, "opus:JobResources.nodes"),
                resources.Tasks is null ? null : IntParam("tasks", resources.Tasks, "opus:JobResources.tasks"),
                resources.Gres is null ? null : TextParam("gres", resources.Gres, "opus:JobResources.gres"),
                resources.Constraint is null ? null : TextParam("constraint", resources.Constraint, "opus:JobResources.constraint"),
                resources.Account is null ? null : TextParam("account", resources.Account, "opus:JobResources.account"),
                resources.Qos is null ? null : TextParam("qos", resources.Qos, "opus:JobResources.qos"),
                resources.Requeue is not { } requeue ? null : new XElement(Namespace + "PARAM", new XAttribute("name", "requeue"),
                    new XAttribute("value", requeue ? "true" : "false"), new XAttribute("datatype", "boolean"), new XAttribute("utype", "opus:JobResources.requeue"))));
        }

        var root = new XElement(Namespace + "VOTABLE",
            new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName),
            new XAttribute("xmlns", Namespace.NamespaceName),
            new XAttribute("version", "1.3"),
            new XAttribute(Xsi + "schemaLocation", SchemaLocation),
            resource);
        return DefinitionXml.Write(new XDocument(root), definition.Name);
    }

    private static XElement WriteParameter(ParameterDefinition p)
    {
        var (datatype, xtype) = OpusDatatypes.ToVoTable(p.Type);
        // The attribute order is OPUS's: ID, name, datatype, value, xtype, arraysize, type, unit, ucd, utype.
        var param = new XElement(Namespace + "PARAM",
            new XAttribute("ID", p.Name),
            new XAttribute("name", p.Name),
            new XAttribute("datatype", datatype),
            new XAttribute("value", p.Default ?? ""),
            xtype is null ? null : new XAttribute("xtype", xtype),
            datatype == "char" ? new XAttribute("arraysize", "*") : null,
            p.Required ? null : new XAttribute("type", NotRequired),
            p.Unit is null ? null : new XAttribute("unit", p.Unit),
            p.Ucd is null ? null : new XAttribute("ucd", p.Ucd),
            p.Utype is null ? null : new XAttribute("utype", p.Utype),
            new XElement(Namespace + "DESCRIPTION", p.Description ?? ""));
        if (p.Min is not null || p.Max is not null || p.Options is { Count: > 0 })
        {
            param.Add(new XElement(Namespace + "VALUES",
                p.Min is null ? null : new XElement(Namespace + "MIN", new XAttribute("value", p.Min)),
                p.Max is null ? null : new XElement(Namespace + "MAX", new XAttribute("value", p.Max)),
                (p.Options ?? []).Select(o => new XElement(Namespace + "OPTION", new XAttribute("value", o)))));
        }

        return param;
    }

    private static XElement WriteUsed(UsedDefinition u) =>
        new(Namespace + "GROUP",
            new XAttribute("name", u.Name),
            new XAttribute("utype", "voprov:UsedDescription"),
            new XElement(Namespace + "DESCRIPTION", u.Description ?? ""),
            TextParam("role", u.Role, "voprov:UsedDescription.role"),
            TextParam("multiplicity", u.Multiplicity, "voprov:UsedDescription.multiplicity"),
            TextParam("default", u.Default, "voprov:Entity.id"),
            TextParam("content_type", u.ContentType, "voprov:EntityDescription.content_type"),
            TextParam("url", u.Url, "voprov:EntityDescription.url"),
            u.Required ? new XElement(Namespace + "PARAM",
                new XAttribute("name", "required"), new XAttribute("value", "true"), new XAttribute("datatype", "boolean"),
                new XAttribute("utype", "opus:UsedDescription.required")) : null,
            u.File is null ? null : TextParam("file", u.File, "opus:UsedDescription.file"));

    private static XElement WriteGenerated(GeneratedDefinition g) =>
        new(Namespace + "GROUP",
            new XAttribute("name", g.Name),
            new XAttribute("utype", "voprov:WasGeneratedBy"),
            new XElement(Namespace + "DESCRIPTION", g.Description ?? ""),
            TextParam("role", g.Role, "voprov:WasGeneratedByDescription.role"),
            TextParam("multiplicity", g.Multiplicity, "voprov:WasGeneratedByDescription.multiplicity"),
            TextParam("default", g.File, "voprov:Entity.id"),
            TextParam("content_type", g.ContentType, "voprov:EntityDescription.content_type"));

    private static XElement TextParam(string name, string? value, string? utype) =>
        new(Namespace + "PARAM",
            new XAttribute("name", name),
            new XAttribute("value", value ?? ""),
            new XAttribute("arraysize", "*"),
            new XAttribute("datatype", "char"),
            utype is null ? null : new XAttribute("utype", utype));

    private static XElement IntParam(string name, int? value, string utype) =>
        new(Namespace + "PARAM",
            new XAttribute("name", name),
            new XAttribute("value", value?.ToString(CultureInfo.InvariantCulture) ?? ""),
            new XAttribute("datatype", "int"),
            new XAttribute("utype", utype));

    /// <summary>Syntax and layout; what does not map is added to <paramref name="problems"/> with its line.</summary>
    internal static JobDefinition Parse(string xml, string source, List<string> problems)
    {
        var root = DefinitionXml.Load(xml, source).Root!;
        if (root.Name.LocalName != "VOTABLE")
            throw new OpusValidationException($"{source}: the root element is <{root.Name.LocalName}>, not <VOTABLE>");
        // Whatever VOTable version the file says: OPUS reads with the root's namespace too.
        var vot = new VoTableReader(root.Name.Namespace, problems);
        var resources = root.Descendants(vot.Ns + "RESOURCE").ToList();
        var resource = resources.FirstOrDefault(r => (string?)r.Attribute("utype") == "voprov:ActivityDescription") ?? resources.FirstOrDefault()
            ?? throw new OpusValidationException($"{source}: no <RESOURCE> holds an ActivityDescription");
        var definition = vot.Read(resource);
        foreach (var service in resources.Where(r => r != resource && (string?)r.Attribute("utype") == "adhoc:service"))
            vot.ReadServiceDescriptor(service, definition);
        return definition;
    }

    /// <summary>Reads one ActivityDescription RESOURCE; elements it does not know are left alone, as OPUS does.</summary>
    private sealed class VoTableReader(XNamespace ns, List<string> problems)
    {
        public XNamespace Ns => ns;

        public JobDefinition Read(XElement resource)
        {
            var definition = new JobDefinition
            {
                Name = Attr(resource, "name") ?? Attr(resource, "ID") ?? "",
                Description = Description(resource),
            };
            foreach (var param in resource.Elements(ns + "PARAM"))
            {
                var value = Attr(param, "value");
                switch (Attr(param, "name")?.ToLowerInvariant())
                {
                    case "doculink": definition.Doculink = value ?? definition.Doculink; break;
                    case "type": definition.Type = value; break;
                    case "subtype": definition.Subtype = value; break;
                    case "version": definition.Version = value ?? "1"; break;
                    case "contact_name": definition.ContactName = value; break;
                    case "contact_email": definition.ContactEmail = value; break;
                    case "executionduration": definition.ExecutionDuration = Integer(param, value) ?? 0; break;
                    case "quote": definition.Quote = Integer(param, value); break;
                    case "script": definition.Script = value ?? ""; break;
                    default: KeepServiceParam(param, definition); break;
                }
            }

            // OPUS's older files give the documentation link as a LINK.
            if (definition.Doculink is null && resource.Element(ns + "LINK") is { } link)
                definition.Doculink = Attr(link, "href");

            foreach (var group in resource.Elements(ns + "GROUP"))
            {
                switch (Attr(group, "name"))
                {
                    case InputParams:
                        definition.Parameters.AddRange(group.Elements(ns + "PARAM").Select(ReadParameter));
                        break;
                    case UsedGroup:
                        definition.Used.AddRange(group.Elements().Where(IsEntity).Select(e => ReadUsed(e, definition)));
                        break;
                    case GeneratedGroup:
                        definition.Generated.AddRange(group.Elements().Where(IsEntity).Select(e => ReadGenerated(e, definition)));
                        break;
                    case ResourcesGroup:
                        definition.Resources = ReadResources(group);
                        break;
                }
            }

            return definition;
        }

        /// <summary>The PARAMs of a service descriptor RESOURCE; its GROUP inputParams are the definition's parameters already.</summary>
        public void ReadServiceDescriptor(XElement service, JobDefinition definition)
        {
            foreach (var param in service.Elements(ns + "PARAM"))
                KeepServiceParam(param, definition);
        }

        private static void KeepServiceParam(XElement param, JobDefinition definition)
        {
            if (Attr(param, "name") is not { } name)
                return;
            definition.ServiceDescriptor ??= [];
            definition.ServiceDescriptor[name] = Attr(param, "value") ?? "";
        }

        private ParameterDefinition ReadParameter(XElement param)
        {
            var name = Attr(param, "name") ?? Attr(param, "ID") ?? "";
            var datatype = Attr(param, "datatype");
            var type = OpusDatatypes.FromVoTable(datatype, Attr(param, "xtype"));
            if (type is null)
                problems.Add($"{DefinitionXml.Line(param)}parameter '{name}': unknown VOTable datatype '{datatype}'");
            var values = param.Element(ns + "VALUES");
            return new ParameterDefinition
            {
                Name = name,
                Type = type ?? ParameterTypes.String,
                Default = Attr(param, "value"),
                Required = Attr(param, "type") != NotRequired,
                Description = Description(param),
                Unit = Attr(param, "unit"),
                Ucd = Attr(param, "ucd"),
                Utype = Attr(param, "utype"),
                Min = values?.Element(ns + "MIN") is { } min ? Attr(min, "value") : null,
                Max = values?.Element(ns + "MAX") is { } max ? Attr(max, "value") : null,
                // An OPTION value="" is a real choice: keep it, unlike empty attributes elsewhere.
                Options = values?.Elements(ns + "OPTION").Select(o => (string?)o.Attribute("value") ?? "").ToList() is { Count: > 0 } options ? options : null,
            };
        }

        private bool IsEntity(XElement element) => element.Name == ns + "GROUP" || element.Name == ns + "PARAM";

        private UsedDefinition ReadUsed(XElement entity, JobDefinition definition)
        {
            var used = new UsedDefinition { Name = Attr(entity, "name") ?? "" };
            // OPUS: an entity that refers to a parameter starts from its default and description.
            if (Attr(entity, "ref") is { } reference && definition.FindParameter(reference) is { } parameter)
            {
                used.Default = parameter.Default;
                used.Description = parameter.Description;
            }

            used.Description = Description(entity) ?? used.Description;
            if (entity.Element(ns + "LINK") is { } link)
                used.Url = Attr(link, "href");
            if (entity.Name == ns + "PARAM")
            {
                // The older layout: the entity is a PARAM whose value is the default and xtype the content type.
                used.Default = Attr(entity, "value") ?? used.Default;
                used.ContentType = Attr(entity, "xtype");
                return used;
            }

            foreach (var param in entity.Elements(ns + "PARAM"))
            {
                var value = Attr(param, "value");
                switch (Attr(param, "name"))
                {
                    case "role": used.Role = value; break;
                    case "multiplicity": used.Multiplicity = value; break;
                    case "default": used.Default = value ?? used.Default; break;
                    case "content_type": used.ContentType = value; break;
                    case "url": used.Url = value ?? used.Url; break;
                    case "required": used.Required = Flag(param, value); break;
                    case "file": used.File = value; break;
                }
            }

            return used;
        }

        private GeneratedDefinition ReadGenerated(XElement entity, JobDefinition definition)
        {
            var generated = new GeneratedDefinition { Name = Attr(entity, "name") ?? "" };
            if (Attr(entity, "ref") is { } reference && definition.FindParameter(reference) is { } parameter)
            {
                generated.File = parameter.Default ?? "";
                generated.Description = parameter.Description;
            }

            generated.Description = Description(entity) ?? generated.Description;
            if (entity.Name == ns + "PARAM")
            {
                generated.File = Attr(entity, "value") ?? generated.File;
                generated.ContentType = Attr(entity, "xtype");
                return generated;
            }

            foreach (var param in entity.Elements(ns + "PARAM"))
            {
                var value = Attr(param, "value");
                switch (Attr(param, "name"))
                {
                    case "role": generated.Role = value; break;
                    case "multiplicity": generated.Multiplicity = value; break;
                    case "default": generated.File = value ?? generated.File; break;
                    case "content_type": generated.ContentType = value; break;
                }
            }

            return generated;
        }

        private JobResources ReadResources(XElement group)
        {
            var resources = new JobResources();
            foreach (var param in group.Elements(ns + "PARAM"))
            {
                var value = Attr(param, "value");
                switch (Attr(param, "name"))
                {
                    case "manager": resources.Manager = value; break;
                    case "partition": resources.Partition = value; break;
                    case "cpus": resources.Cpus = Integer(param, value); break;
                    case "memory": resources.Memory = value; break;
                    case "network": resources.Network = value; break;
                    case "cpuTime": resources.CpuTime = Integer(param, value); break;
                    case "processes": resources.Processes = Integer(param, value); break;
                    case "outputSize": resources.OutputSize = value; break;
                    case "nodes": resources.Nodes = Integer(param, value); break;
                    case "tasks": resources.Tasks = Integer(param, value); break;
                    case "gres": resources.Gres = value; break;
                    case "constraint": resources.Constraint = value; break;
                    case "account": resources.Account = value; break;
                    case "qos": resources.Qos = value; break;
                    case "requeue": resources.Requeue = value is null ? null : Flag(param, value); break;
                }
            }

            return resources;
        }

        private string? Description(XElement element) =>
            element.Element(ns + "DESCRIPTION")?.Value is { Length: > 0 } text ? text : null;

        /// <summary>An attribute's value; empty is the same as absent, as OPUS writes value="" for "not set".</summary>
        private static string? Attr(XElement element, string name) =>
            (string?)element.Attribute(name) is { Length: > 0 } value ? value : null;

        private int? Integer(XElement param, string? value)
        {
            if (value is null)
                return null;
            if (int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                return number;
            problems.Add($"{DefinitionXml.Line(param)}{Attr(param, "name")}: '{value}' is not an integer");
            return null;
        }

        private bool Flag(XElement param, string? value)
        {
            switch (value?.Trim().ToLowerInvariant())
            {
                case null or "false" or "f" or "0":
                    return false;
                case "true" or "t" or "1":
                    return true;
                default:
                    problems.Add($"{DefinitionXml.Line(param)}{Attr(param, "name")}: '{value}' is not true or false");
                    return false;
            }
        }
    }
}
