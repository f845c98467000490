using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Loading;

/// <summary>
/// Runs when the module is imported: answers the default context's requests for Opus.Core and
/// Opus.Client (which are not beside this assembly but in Dependencies/) by loading them into <see cref="OpusLoadContext"/>;
/// its own dependencies then resolve inside that context. On removal the session is closed.
/// This is the "bridge" of PowerShell-Docs' "Resolving PowerShell module assembly dependency conflicts".
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly string DependencyFolder =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly Lazy<OpusLoadContext> Context = new(() => new OpusLoadContext(DependencyFolder));

    /// <summary>The assemblies the cmdlets reference that live in Dependencies/: the engine and its HTTP client.</summary>
    private static readonly string[] EngineAssemblies = ["Opus.Core", "Opus.Client"];

    /// <summary>Hooks the resolving of Opus.Core and Opus.Client.</summary>
    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    /// <summary>Closes every session (a local one stops its job manager; running jobs go on) and unhooks.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        SessionHolder.CloseAll();
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
    }

    // Only the engine's own names are answered; everything they need is then found by their context.
    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        EngineAssemblies.Contains(name.Name) && File.Exists(Path.Combine(DependencyFolder, name.Name + ".dll"))
            ? Context.Value.LoadFromAssemblyName(name)
            : null;
}
