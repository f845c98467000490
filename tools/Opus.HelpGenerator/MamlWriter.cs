using System.Xml.Linq;

namespace Opus.HelpGenerator;

/// <summary>Writes PowerShell's MAML help format (what Get-Help reads from en-US/MODULE.dll-Help.xml).</summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<CmdletHelp> cmdlets) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems",
                new XAttribute("schema", "maml"),
                new XAttribute(XNamespace.Xmlns + "maml", Maml),
                new XAttribute(XNamespace.Xmlns + "command", Command),
                new XAttribute(XNamespace.Xmlns + "dev", Dev),
                cmdlets.Select(CommandElement)));

    private static XElement CommandElement(CmdletHelp cmdlet) =>
        new(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", cmdlet.Name),
                new XElement(Command + "verb", cmdlet.Verb),
                new XElement(Command + "noun", cmdlet.Noun),
                Description(cmdlet.Synopsis)),
            Description(cmdlet.Description),
            new XElement(Command + "syntax", cmdlet.ParameterSets.Select(set => SyntaxItem(cmdlet, set))),
            new XElement(Command + "parameters",
                cmdlet.Parameters.GroupBy(p => p.Name).Select(g => Parameter(g.First(), g.Any(p => p.Mandatory)))),
            new XElement(Command + "inputTypes",
                cmdlet.Parameters.Where(p => p.ByValue || p.ByPropertyName).GroupBy(p => p.Name).Select(g =>
                    new XElement(Command + "inputType",
                        new XElement(Dev + "type", new XElement(Maml + "name", g.First().TypeName)),
                        Description($"-{g.Key}: {g.First().PipelineInput}")))),
            new XElement(Command + "returnValues",
                cmdlet.OutputTypes.Where(t => t != "System.Void").Select(t =>
                    new XElement(Command + "returnValue", new XElement(Dev + "type", new XElement(Maml + "name", t))))),
            new XElement(Command + "examples",
                cmdlet.Examples.Select((example, i) => new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- Example {i + 1} --------------------------"),
                    new XElement(Dev + "code", example.Code),
                    new XElement(Dev + "remarks", new XElement(Maml + "para", example.Remarks))))),
            new XElement(Command + "relatedLinks"));

    private static XElement SyntaxItem(CmdletHelp cmdlet, string set) =>
        new(Command + "syntaxItem",
            new XElement(Maml + "name", cmdlet.Name),
            cmdlet.Parameters
                .Where(p => p.ParameterSet == set || p.ParameterSet == CmdletReader.AllSets)
                .OrderBy(p => p.Position ?? int.MaxValue)
                .Select(p => Parameter(p, p.Mandatory)));

    private static XElement Parameter(ParameterHelp parameter, bool required)
    {
        var isSwitch = parameter.TypeName == "SwitchParameter";
        return new XElement(Command + "parameter",
            new XAttribute("required", required ? "true" : "false"),
            new XAttribute("variableLength", parameter.TypeName.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", parameter.Wildcards ? "true" : "false"),
            new XAttribute("pipelineInput", parameter.PipelineInput),
            new XAttribute("position", parameter.Position is { } position ? position.ToString(System.Globalization.CultureInfo.InvariantCulture) : "named"),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(Maml + "name", parameter.Name),
            Description(parameter.Description),
            parameter.ValidValues.Count == 0 ? null : new XElement(Command + "parameterValueGroup",
                parameter.ValidValues.Select(v => new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v))),
            isSwitch ? null : new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), parameter.TypeName),
            new XElement(Dev + "type", new XElement(Maml + "name", parameter.TypeName)),
            new XElement(Dev + "defaultValue", isSwitch ? "False" : "None"));
    }

    private static XElement Description(string text) =>
        new(Maml + "description", new XElement(Maml + "para", text));
}
