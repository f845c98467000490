using System.Reflection;
using System.Text.RegularExpressions;

namespace Opus.PowerShell.Tests;

/// <summary>The module's public contract, read from metadata: verbs, output types, pipeline binding, manifest, help.</summary>
public sealed partial class CmdletContractTests : IClassFixture<ModuleMetadata>
{
    // Verbs whose cmdlets change state and so must support -WhatIf/-Confirm.
    private static readonly HashSet<string> StateChangingVerbs = ["New", "Set", "Remove", "Start", "Stop", "Revoke", "Publish", "Register", "Unregister", "Clear", "Add", "Import"];

    private readonly ModuleMetadata _module;

    public CmdletContractTests(ModuleMetadata module) => _module = module;

    [Fact]
    public void The_module_has_cmdlets()
    {
        Assert.NotEmpty(_module.Cmdlets);
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb()
    {
        var approved = _module.ApprovedVerbs;
        Assert.Contains("Get", approved);
        Assert.All(_module.Cmdlets, c => Assert.True(approved.Contains(c.Verb), $"{c.Verb}-{c.Noun}: '{c.Verb}' is not an approved verb"));
    }

    [Fact]
    public void Every_cmdlet_class_is_named_after_its_verb_and_noun()
    {
        Assert.All(_module.Cmdlets, c => Assert.Equal($"{c.Verb}{c.Noun}Command", c.Type.Name));
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type()
    {
        Assert.All(_module.Cmdlets, c => Assert.Contains(c.Type.GetCustomAttributesData(), a => a.AttributeType.Name == "OutputTypeAttribute"));
    }

    [Fact]
    public void State_changing_cmdlets_support_ShouldProcess()
    {
        foreach (var cmdlet in _module.Cmdlets.Where(c => StateChangingVerbs.Contains(c.Verb)))
        {
            var supports = cmdlet.Attribute.NamedArguments.FirstOrDefault(a => a.MemberName == "SupportsShouldProcess");
            Assert.True(supports.TypedValue.Value is true, $"{cmdlet.Verb}-{cmdlet.Noun} changes state but does not support ShouldProcess");
        }
    }

    [Fact]
    public void Each_parameter_set_takes_at_most_one_parameter_from_the_pipeline_by_value()
    {
        foreach (var cmdlet in _module.Cmdlets)
        {
            var byValue = cmdlet.Type.GetProperties()
                .SelectMany(p => p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute").Select(a => (Property: p, Attribute: a)))
                .Where(x => x.Attribute.NamedArguments.Any(n => n.MemberName == "ValueFromPipeline" && n.TypedValue.Value is true))
                .GroupBy(x => x.Attribute.NamedArguments.FirstOrDefault(n => n.MemberName == "ParameterSetName").TypedValue.Value as string ?? "__AllParameterSets");
            Assert.All(byValue, set => Assert.True(set.Count() == 1, $"{cmdlet.Verb}-{cmdlet.Noun}, set {set.Key}: {set.Count()} parameters take pipeline input by value"));
        }
    }

    [Fact]
    public void The_manifest_exports_exactly_the_assembly_cmdlets()
    {
        var manifest = File.ReadAllText(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.psd1"));
        var block = CmdletsToExport().Match(manifest);
        Assert.True(block.Success, "CmdletsToExport must be an explicit list");
        var exported = QuotedName().Matches(block.Groups[1].Value).Select(m => m.Groups[1].Value).Order().ToList();
        var actual = _module.Cmdlets.Select(c => $"{c.Verb}-{c.Noun}").Order().ToList();
        Assert.Equal(actual, exported);
    }

    [Fact]
    public void The_manifest_targets_PowerShell_7_6_Core_with_the_assembly_version()
    {
        var manifest = File.ReadAllText(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.psd1"));
        Assert.Matches(@"PowerShellVersion\s*=\s*'7\.6'", manifest);
        Assert.Matches(@"CompatiblePSEditions\s*=\s*@\('Core'\)", manifest);
        var version = ModuleVersion().Match(manifest).Groups[1].Value;
        Assert.Equal(version, _module.Assembly.GetName().Version!.ToString(3));
    }

    [Fact]
    public void Every_cmdlet_and_parameter_has_help_text()
    {
        var doc = System.Xml.Linq.XDocument.Load(Path.Combine(_module.ModuleFolder, "Opus.PowerShell.xml"));
        var members = doc.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);
        foreach (var cmdlet in _module.Cmdlets)
        {
            Assert.True(members.TryGetValue($"T:{cmdlet.Type.FullName}", out var type), $"{cmdlet.Type.Name} has no documentation");
            Assert.Contains(type.Descendants("para"), p => (string?)p.Attribute("type") == "synopsis" && p.Value.Trim().Length > 0);
            Assert.NotEmpty(type.Descendants("example"));
            foreach (var parameter in cmdlet.Type.GetProperties().Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType.Name == "ParameterAttribute")))
                Assert.True(members.ContainsKey($"P:{parameter.DeclaringType!.FullName}.{parameter.Name}"), $"{cmdlet.Verb}-{cmdlet.Noun} -{parameter.Name} has no documentation");
        }
    }

    [GeneratedRegex(@"CmdletsToExport\s*=\s*@\(([^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex CmdletsToExport();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex(@"ModuleVersion\s*=\s*'([^']+)'")]
    private static partial Regex ModuleVersion();
}
