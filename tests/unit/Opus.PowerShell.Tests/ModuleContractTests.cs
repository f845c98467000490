using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Opus.HelpGenerator;

namespace Opus.PowerShell.Tests;

/// <summary>
/// More of the module's contract, read from metadata only (L3): confirmation on removals, parameter
/// sets, completers, the format file against the real types, MAML help, and what the cmdlet assembly
/// may reference so that Opus.Core's dependencies stay in their own load context.
/// </summary>
public sealed partial class ModuleContractTests : IClassFixture<ModuleMetadata>
{
    private static readonly HashSet<string> Removals = ["Remove", "Revoke"];

    // RD03: names PowerShell reserves for its common parameters.
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Confirm", "Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable", "OutBuffer",
        "OutVariable", "PipelineVariable", "ProgressAction", "Verbose", "WarningAction", "WarningVariable", "WhatIf",
    };

    private readonly ModuleMetadata _module;

    public ModuleContractTests(ModuleMetadata module) => _module = module;

    [Fact]
    public void Removals_ask_for_confirmation_by_default()
    {
        foreach (var cmdlet in _module.Cmdlets.Where(c => Removals.Contains(c.Verb)))
        {
            var impact = cmdlet.Attribute.NamedArguments.FirstOrDefault(a => a.MemberName == "ConfirmImpact").TypedValue.Value;
            Assert.True(impact is 3, $"{cmdlet.Verb}-{cmdlet.Noun} removes something: ConfirmImpact must be High");
        }
    }

    [Fact]
    public void Every_cmdlet_overrides_a_processing_method()
    {
        Assert.All(_module.Cmdlets, c => Assert.Contains(
            c.Type.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly),
            m => m.Name is "BeginProcessing" or "ProcessRecord" or "EndProcessing"));
    }

    [Fact]
    public void Default_parameter_sets_exist_and_no_parameter_uses_a_reserved_name()
    {
        foreach (var cmdlet in _module.Cmdlets)
        {
            var parameters = Parameters(cmdlet.Type).ToList();
            var sets = parameters.Select(p => SetOf(p.Attribute)).ToHashSet();
            if (cmdlet.Attribute.NamedArguments.FirstOrDefault(a => a.MemberName == "DefaultParameterSetName").TypedValue.Value is string defaultSet)
                Assert.True(sets.Contains(defaultSet), $"{cmdlet.Verb}-{cmdlet.Noun}: default set '{defaultSet}' has no parameter");
            foreach (var (property, _) in parameters)
            {
                Assert.DoesNotContain(property.Name, Reserved);
                Assert.True(char.IsUpper(property.Name[0]), $"{cmdlet.Verb}-{cmdlet.Noun} -{property.Name} is not PascalCase");
                Assert.NotEqual("System.Boolean", property.PropertyType.FullName);
            }
        }
    }

    [Fact]
    public void Definition_and_phase_parameters_complete_their_values()
    {
        foreach (var cmdlet in _module.Cmdlets)
        {
            foreach (var property in cmdlet.Type.GetProperties().Where(p => p.Name is "Definition" or "Phase"
                         || (p.Name == "Name" && cmdlet.Noun == "ActivityDescription")))
            {
                var completer = property.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == "ArgumentCompleterAttribute");
                Assert.True(completer is not null, $"{cmdlet.Verb}-{cmdlet.Noun} -{property.Name} has no argument completer");
                var expected = property.Name == "Phase" ? "PhaseCompleter" : "DefinitionNameCompleter";
                Assert.Equal(expected, ((Type)completer.ConstructorArguments[0].Value!).Name);
            }
        }
    }

    [Fact]
    public void Job_cmdlets_bind_jobs_and_results_from_the_pipeline_by_property_name()
    {
        foreach (var cmdlet in _module.Cmdlets.Where(c => c.Noun.StartsWith("UwsJob", StringComparison.Ordinal) && c.Verb != "New"))
        {
            var id = cmdlet.Type.GetProperty("Id")!;
            Assert.Contains(id.GetCustomAttributesData(), a => a.AttributeType.Name == "ParameterAttribute"
                && a.NamedArguments.Any(n => n.MemberName == "ValueFromPipelineByPropertyName" && n.TypedValue.Value is true));
            var aliases = id.GetCustomAttributesData().Where(a => a.AttributeType.Name == "AliasAttribute")
                .SelectMany(a => (IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!);
            Assert.Contains("JobId", aliases);
            Assert.NotNull(cmdlet.Type.GetProperty("Definition"));
        }
    }

    [Fact]
    public void User_cmdlets_take_an_ExternalId_that_users_carry_and_Set_may_clear()
    {
        PropertyInfo ExternalId(string verb)
        {
            var cmdlet = _module.Cmdlets.Single(c => c.Verb == verb && c.Noun == "OpusUser");
            var property = cmdlet.Type.GetProperty("ExternalId");
            Assert.True(property is not null, $"{verb}-OpusUser has no -ExternalId");
            Assert.Contains(property.GetCustomAttributesData(), a => a.AttributeType.Name == "ParameterAttribute");
            return property;
        }

        bool Named(PropertyInfo p, string attribute) => p.GetCustomAttributesData().Any(a => a.AttributeType.Name == attribute);
        bool Argument(PropertyInfo p, string name) => p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute")
            .Any(a => a.NamedArguments.Any(n => n.MemberName == name && n.TypedValue.Value is true));

        // New: a string, from CSV columns and objects by property name (a User carries ExternalId).
        var create = ExternalId("New");
        Assert.Equal("System.String", create.PropertyType.FullName);
        Assert.True(Argument(create, "ValueFromPipelineByPropertyName"));
        // Set: a string that may be '' (it clears); not from the pipeline, so piping users changes only what is given.
        var change = ExternalId("Set");
        Assert.Equal("System.String", change.PropertyType.FullName);
        Assert.False(Named(change, "ValidateNotNullOrEmptyAttribute") || Named(change, "ValidateNotNullAttribute") || Named(change, "ValidateLengthAttribute"));
        Assert.False(Argument(change, "ValueFromPipeline") || Argument(change, "ValueFromPipelineByPropertyName"));
        // Get: exact subjects in a parameter set of their own (no wildcards), never bound from the pipeline,
        // so a piped user still binds -UserName.
        var find = ExternalId("Get");
        Assert.Equal("System.String[]", find.PropertyType.FullName);
        Assert.False(Named(find, "SupportsWildcardsAttribute"));
        Assert.False(Argument(find, "ValueFromPipeline") || Argument(find, "ValueFromPipelineByPropertyName"));
        var get = _module.Cmdlets.Single(c => c.Verb == "Get" && c.Noun == "OpusUser");
        var sets = Parameters(get.Type).ToDictionary(p => p.Property.Name, p => SetOf(p.Attribute));
        Assert.NotEqual(sets["UserName"], sets["ExternalId"]);
        Assert.Equal(sets["UserName"], get.Attribute.NamedArguments.Single(a => a.MemberName == "DefaultParameterSetName").TypedValue.Value);

        // The objects carry it, and the table view shows it.
        var core = _module.Context.LoadFromAssemblyName(_module.Assembly.GetReferencedAssemblies().Single(a => a.Name == "Opus.Core"));
        Assert.Equal("System.String", core.GetType("Opus.Core.Users.User")!.GetProperty("ExternalId")!.PropertyType.FullName);
        Assert.NotNull(core.GetType("Opus.Core.Sessions.UserRequest")!.GetProperty("ExternalId"));
        Assert.NotNull(core.GetType("Opus.Core.Sessions.UserChanges")!.GetProperty("ExternalId"));
        var format = XDocument.Load(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.Format.ps1xml"));
        var view = format.Descendants("View").Single(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value == "Opus.Core.Users.User");
        Assert.Contains("ExternalId", view.Descendants("PropertyName").Select(p => p.Value));
    }

    [Fact]
    public void The_cmdlet_assembly_references_only_Opus_Core_Opus_Client_the_framework_and_PowerShell()
    {
        // Anything else would load into PowerShell's default context instead of the module's own.
        var references = _module.Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("Opus.Core", references);
        Assert.Contains("Opus.Client", references);
        var unexpected = references.Where(name => name is not ("Opus.Core" or "Opus.Client" or "System.Management.Automation" or "netstandard" or "mscorlib")
            && !name.StartsWith("System.", StringComparison.Ordinal) && name != "System").ToList();
        Assert.Empty(unexpected);
    }

    [Fact]
    public void The_manifest_loads_the_format_file()
    {
        var manifest = File.ReadAllText(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.psd1"));
        Assert.Matches(@"FormatsToProcess\s*=\s*@\('Opus\.Format\.ps1xml'\)", manifest);
        Assert.Matches(@"RootModule\s*=\s*'Opus\.PowerShell\.dll'", manifest);
        foreach (var empty in new[] { "FunctionsToExport", "VariablesToExport", "AliasesToExport" })
            Assert.Matches($@"{empty}\s*=\s*@\(\)", manifest);
        Assert.True(File.Exists(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.Format.ps1xml")));
    }

    [Fact]
    public void Format_views_name_real_types_and_properties()
    {
        var format = XDocument.Load(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.Format.ps1xml"));
        var core = _module.Assembly.GetReferencedAssemblies().Single(a => a.Name == "Opus.Core");
        var coreAssembly = _module.Context.LoadFromAssemblyName(core);
        var views = format.Descendants("View").ToList();
        Assert.NotEmpty(views);
        foreach (var view in views)
        {
            var typeName = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value;
            var type = coreAssembly.GetType(typeName) ?? _module.Assembly.GetType(typeName);
            Assert.True(type is not null, $"view {view.Element("Name")!.Value}: no type {typeName}");
            foreach (var property in view.Descendants("PropertyName").Select(p => p.Value))
                Assert.True(type!.GetProperty(property) is not null, $"view {view.Element("Name")!.Value}: {typeName} has no property {property}");
            foreach (var script in view.Descendants("ScriptBlock").Select(s => s.Value))
            {
                foreach (Match used in ScriptProperty().Matches(script))
                    Assert.True(type!.GetProperty(used.Groups[1].Value) is not null, $"view {view.Element("Name")!.Value}: {typeName} has no property {used.Groups[1].Value}");
            }

            var headers = view.Descendants("TableColumnHeader").Count();
            Assert.Equal(headers, view.Descendants("TableColumnItem").Count());
        }

        // The objects people see most have a view: jobs, job lists, results, definitions, users.
        var viewed = views.Select(v => v.Element("ViewSelectedBy")!.Element("TypeName")!.Value).ToHashSet();
        Assert.Superset(new HashSet<string> { "Opus.Core.Uws.UwsJob", "Opus.Core.Uws.UwsJobRef", "Opus.Core.Uws.UwsResult", "Opus.Core.Definitions.JobDefinition", "Opus.Core.Users.User" }, viewed);
    }

    [Fact]
    public void Every_output_type_of_the_module_has_a_view_or_is_a_framework_type()
    {
        var format = XDocument.Load(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.Format.ps1xml"));
        var viewed = format.Descendants("TypeName").Select(t => t.Value).ToHashSet();
        var outputs = _module.Cmdlets.SelectMany(c => c.Type.GetCustomAttributesData().Where(a => a.AttributeType.Name == "OutputTypeAttribute"))
            .SelectMany(a => (IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!)
            .Select(v => ((Type)v.Value!).FullName!)
            .Where(n => n.StartsWith("Opus.", StringComparison.Ordinal))
            .ToHashSet();
        Assert.Subset(viewed, outputs);
    }

    [Fact]
    public void Error_categories_the_module_uses_are_PowerShell_categories()
    {
        var categories = _module.Automation.GetType("System.Management.Automation.ErrorCategory")!.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => f.Name).ToHashSet();
        foreach (var e in new Exception[]
                 {
                     new Core.Jobs.OpusValidationException("x"), new Core.Jobs.OpusNotFoundException("x"), new Core.Jobs.OpusStateException("x"),
                     new Core.Jobs.OpusConflictException("x"), new Opus.Client.OpusSessionException("x"), new Opus.Client.OpusSessionException("x", 401),
                     new Opus.Client.OpusSessionException("x", 500), new FileNotFoundException("x"), new UnauthorizedAccessException("x"),
                     new IOException("x"), new InvalidDataException("x"), new TimeoutException("x"), new InvalidOperationException("x"),
                 })
            Assert.Contains(Decisions.OpusError.From(e, "UwsJob").Category, categories);
        Assert.Contains(Decisions.SessionChoice.Decide(false, null).Error!.Category, categories);
        Assert.Contains(Decisions.FilePlan.Overwrite("f", true, false, "X")!.Category, categories);
        Assert.Contains(Decisions.FilePlan.ResultTarget("/tmp/out", new Core.Uws.UwsResult("d", "j", "r", "../../x", 1, null, null)).Error!.Category, categories);
    }

    [Fact]
    public void The_generated_MAML_help_has_every_cmdlet_with_synopsis_parameters_and_examples()
    {
        var cmdlets = CmdletReader.Read(Path.Combine(_module.ModuleFolder, "Opus.PowerShell.dll"), Path.Combine(_module.ModuleFolder, "Opus.PowerShell.xml"), []);
        var maml = MamlWriter.Write(cmdlets);
        var commands = maml.Root!.Elements(MamlWriter.Command + "command").ToList();
        Assert.Equal(_module.Cmdlets.Select(c => $"{c.Verb}-{c.Noun}").Order(), commands.Select(c => c.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "name")!.Value).Order());
        foreach (var command in commands)
        {
            var name = command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "name")!.Value;
            var synopsis = command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Maml + "description")!.Value;
            Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{name} has no synopsis");
            var cmdlet = _module.Cmdlets.Single(c => $"{c.Verb}-{c.Noun}" == name);
            var documented = command.Element(MamlWriter.Command + "parameters")!.Elements(MamlWriter.Command + "parameter").ToDictionary(p => p.Element(MamlWriter.Maml + "name")!.Value);
            foreach (var (property, _) in Parameters(cmdlet.Type))
            {
                Assert.True(documented.TryGetValue(property.Name, out var parameter), $"{name} -{property.Name} is not in the help");
                Assert.False(string.IsNullOrWhiteSpace(parameter.Element(MamlWriter.Maml + "description")!.Value), $"{name} -{property.Name} has no description");
            }

            var examples = command.Element(MamlWriter.Command + "examples")!.Elements(MamlWriter.Command + "example").ToList();
            Assert.True(examples.Count >= 2, $"{name} has {examples.Count} examples; give at least two");
            Assert.All(examples, e => Assert.Contains(name, e.Element(MamlWriter.Dev + "code")!.Value));
            Assert.NotEmpty(command.Element(MamlWriter.Command + "syntax")!.Elements());
        }
    }

    [Fact]
    public void Every_cmdlet_has_a_Pester_file_that_imports_the_built_module()
    {
        var folder = Path.Combine(ModuleMetadata.RepositoryRoot, "tests", "pester");
        Assert.Contains("artifacts/module/Opus/Opus.psd1", File.ReadAllText(Path.Combine(folder, "Common.ps1")));
        foreach (var cmdlet in _module.Cmdlets)
        {
            var file = Path.Combine(folder, $"{cmdlet.Verb}-{cmdlet.Noun}.Tests.ps1");
            Assert.True(File.Exists(file), $"{cmdlet.Verb}-{cmdlet.Noun} has no Pester file");
            var text = File.ReadAllText(file);
            Assert.Contains("Common.ps1", text);
            Assert.Matches(@"(?m)^\s*It '", text);
        }
    }

    private static IEnumerable<(PropertyInfo Property, CustomAttributeData Attribute)> Parameters(Type type) =>
        type.GetProperties().SelectMany(p => p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute").Select(a => (p, a)));

    private static string SetOf(CustomAttributeData parameter) =>
        parameter.NamedArguments.FirstOrDefault(n => n.MemberName == "ParameterSetName").TypedValue.Value as string ?? "__AllParameterSets";

    [GeneratedRegex(@"\$_\.(\w+)")]
    private static partial Regex ScriptProperty();
}
