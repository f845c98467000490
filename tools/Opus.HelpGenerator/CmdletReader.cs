using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace Opus.HelpGenerator;

/// <summary>
/// Reads the cmdlets of an assembly by metadata (MetadataLoadContext: attribute values as written,
/// no code runs) and their documentation from the compiler's XML doc file, where the synopsis,
/// description and parameter texts are &lt;para type="..."&gt; elements and examples are
/// &lt;example&gt;&lt;code/&gt;&lt;para/&gt;&lt;/example&gt;.
/// </summary>
public static class CmdletReader
{
    public const string AllSets = "__AllParameterSets";

    public static IReadOnlyList<CmdletHelp> Read(string assemblyPath, string docsPath, IEnumerable<string> referenceFolders)
    {
        var automation = Path.Combine(AppContext.BaseDirectory, "psref", "System.Management.Automation.dll");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(referenceFolders.Where(Directory.Exists).SelectMany(f => Directory.GetFiles(f, "*.dll")))
            .Concat(Directory.GetFiles(Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!, "*.dll"))
            .Append(automation)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.Last());
        using var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(assemblyPath));
        var docs = XDocument.Load(docsPath).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m, StringComparer.Ordinal);

        var cmdlets = new List<CmdletHelp>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var attribute = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            if (attribute is null)
                continue;
            var verb = (string)attribute.ConstructorArguments[0].Value!;
            var noun = (string)attribute.ConstructorArguments[1].Value!;
            var doc = docs.GetValueOrDefault($"T:{type.FullName}")
                ?? throw new InvalidOperationException($"{verb}-{noun} ({type.Name}) has no documentation");
            var parameters = Parameters(type, docs).ToList();
            var sets = parameters.Select(p => p.ParameterSet).Where(s => s != AllSets).Distinct().Order(StringComparer.Ordinal).ToList();
            var defaultSet = attribute.NamedArguments.FirstOrDefault(a => a.MemberName == "DefaultParameterSetName").TypedValue.Value as string;
            if (defaultSet is not null && sets.Remove(defaultSet))
                sets.Insert(0, defaultSet);
            cmdlets.Add(new CmdletHelp(
                verb,
                noun,
                Para(doc, "synopsis") ?? throw new InvalidOperationException($"{verb}-{noun} has no synopsis"),
                Para(doc, "description") ?? "",
                parameters,
                sets.Count == 0 ? [AllSets] : sets,
                OutputTypes(type),
                doc.Elements("example").Select(e => new ExampleHelp(
                    Text(e.Element("code")),
                    string.Join("\n", e.Elements("para").Select(Text)))).ToList()));
        }

        return cmdlets;
    }

    private static IEnumerable<ParameterHelp> Parameters(Type type, Dictionary<string, XElement> docs)
    {
        foreach (var property in type.GetProperties())
        {
            var data = property.GetCustomAttributesData();
            var parameters = data.Where(a => a.AttributeType.Name == "ParameterAttribute").ToList();
            if (parameters.Count == 0)
                continue;
            var doc = docs.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}");
            var description = doc is null ? "" : Para(doc, "description") ?? Text(doc.Element("summary"));
            var aliases = data.Where(a => a.AttributeType.Name == "AliasAttribute")
                .SelectMany(a => a.ConstructorArguments.SelectMany(Strings)).ToList();
            var valid = data.Where(a => a.AttributeType.Name == "ValidateSetAttribute")
                .SelectMany(a => a.ConstructorArguments.SelectMany(Strings)).ToList();
            var wildcards = data.Any(a => a.AttributeType.Name == "SupportsWildcardsAttribute");
            foreach (var parameter in parameters)
            {
                T Named<T>(string name, T fallback) =>
                    parameter.NamedArguments.FirstOrDefault(a => a.MemberName == name).TypedValue.Value is T value ? value : fallback;
                var position = Named("Position", int.MinValue);
                yield return new ParameterHelp(
                    property.Name,
                    TypeName(property.PropertyType),
                    description,
                    Named("ParameterSetName", AllSets),
                    Named("Mandatory", false),
                    position == int.MinValue ? null : position,
                    Named("ValueFromPipeline", false),
                    Named("ValueFromPipelineByPropertyName", false),
                    wildcards,
                    aliases,
                    valid);
            }
        }
    }

    private static List<string> OutputTypes(Type type) =>
        type.GetCustomAttributesData()
            .Where(a => a.AttributeType.Name == "OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many : [arg])
            .Select(arg => arg.Value switch
            {
                Type t => t.FullName ?? t.Name,
                string s => s,
                _ => null,
            })
            .OfType<string>()
            .Distinct()
            .ToList();

    private static IEnumerable<string> Strings(CustomAttributeTypedArgument argument) =>
        argument.Value switch
        {
            IEnumerable<CustomAttributeTypedArgument> many => many.Select(m => m.Value).OfType<string>(),
            string one => [one],
            _ => [],
        };

    /// <summary>PowerShell's short names for common types, the full name otherwise.</summary>
    private static string TypeName(Type type)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1")
            return TypeName(type.GetGenericArguments()[0]);
        if (type.IsArray)
            return TypeName(type.GetElementType()!) + "[]";
        return type.FullName switch
        {
            "System.String" => "String",
            "System.Int32" => "Int32",
            "System.Boolean" => "Boolean",
            "System.DateTime" => "DateTime",
            "System.Uri" => "Uri",
            "System.Collections.Hashtable" => "Hashtable",
            "System.Management.Automation.SwitchParameter" => "SwitchParameter",
            "System.Management.Automation.PSCredential" => "PSCredential",
            _ => type.FullName ?? type.Name,
        };
    }

    private static string? Para(XElement member, string kind) =>
        member.Descendants("para").FirstOrDefault(p => (string?)p.Attribute("type") == kind) is { } para ? Text(para) : null;

    /// <summary>An element's text with its whitespace made single, as help shows it.</summary>
    private static string Text(XElement? element)
    {
        if (element is null)
            return "";
        var text = string.Concat(element.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" } see => (string?)see.Attribute("langword") ?? ((string?)see.Attribute("cref"))?.Split('.', ':')[^1] ?? see.Value,
            XElement e => e.Value,
            _ => "",
        }));
        return string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
