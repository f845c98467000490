using System.Reflection;
using System.Runtime.InteropServices;

namespace Opus.PowerShell.Tests;

/// <summary>
/// The cmdlet assembly and PowerShell's reference assembly, loaded for inspection only
/// (MetadataLoadContext: no code of either runs, so the PowerShellStandard stubs never execute).
/// </summary>
public sealed class ModuleMetadata : IDisposable
{
    private readonly MetadataLoadContext _context;

    public ModuleMetadata()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        ModuleFolder = Path.Combine(RepositoryRoot, "src", "Opus.PowerShell", "bin", configuration, "net10.0");
        var automation = Path.Combine(AppContext.BaseDirectory, "psref", "System.Management.Automation.dll");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(ModuleFolder, "*.dll"))
            .Append(automation);
        _context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        Assembly = _context.LoadFromAssemblyPath(Path.Combine(ModuleFolder, "Opus.PowerShell.dll"));
        Automation = _context.LoadFromAssemblyPath(automation);
    }

    public string ModuleFolder { get; }

    public Assembly Assembly { get; }

    public Assembly Automation { get; }

    /// <summary>The inspection context, to load the cmdlet assembly's references (Opus.Core) by name.</summary>
    public MetadataLoadContext Context => _context;

    public static string RepositoryRoot => BuiltModuleFixture.RepositoryRoot;

    /// <summary>Every public cmdlet class with its [Cmdlet] verb and noun.</summary>
    public IReadOnlyList<(Type Type, string Verb, string Noun, CustomAttributeData Attribute)> Cmdlets =>
        Assembly.GetExportedTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute")))
            .Where(x => x.Attribute is not null)
            .Select(x => (x.Type, (string)x.Attribute!.ConstructorArguments[0].Value!, (string)x.Attribute.ConstructorArguments[1].Value!, x.Attribute!))
            .ToList();

    /// <summary>The approved verbs: the constants of PowerShell's Verbs* classes.</summary>
    public IReadOnlySet<string> ApprovedVerbs =>
        Automation.GetExportedTypes()
            .Where(t => t.Namespace == "System.Management.Automation" && t.Name.StartsWith("Verbs", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);

    public void Dispose() => _context.Dispose();
}
