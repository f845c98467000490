using System.Reflection;
using System.Runtime.Loader;

namespace Opus.PowerShell.Loading;

/// <summary>
/// The private AssemblyLoadContext of Opus.Core, Opus.Client and everything they depend on (EF Core, SQLite
/// with its native library, YamlDotNet, Microsoft.Extensions.*), loaded from the module's Dependencies/
/// folder as Opus.Client.deps.json (Opus.Client published, Opus.Core with it) describes it, so none of them can clash with PowerShell's or
/// another module's copies. Framework assemblies come from the default context and stay shared.
/// </summary>
internal sealed class OpusLoadContext : AssemblyLoadContext
{
    private readonly string _folder;
    private readonly AssemblyDependencyResolver _resolver;

    public OpusLoadContext(string folder)
        : base("Opus", isCollectible: false)
    {
        _folder = folder;
        _resolver = new AssemblyDependencyResolver(Path.Combine(folder, "Opus.Client.dll"));
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is not null)
            return LoadFromAssemblyPath(path);
        var local = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(local) ? LoadFromAssemblyPath(local) : null;
    }

    /// <summary>SQLite's e_sqlite3 from runtimes/&lt;rid&gt;/native, as the deps file names it for this platform.</summary>
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
