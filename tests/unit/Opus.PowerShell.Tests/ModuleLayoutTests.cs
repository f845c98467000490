using System.Reflection;
using System.Xml.Linq;
using Opus.HelpGenerator;
using Opus.PowerShell.Loading;

namespace Opus.PowerShell.Tests;

public sealed class ModuleLayoutTests(BuiltModuleFixture module) : IClassFixture<BuiltModuleFixture>
{
    [Fact]
    public void The_build_puts_the_cmdlets_in_the_root_and_Opus_Core_with_its_dependencies_apart()
    {
        Assert.True(module.ExitCode == 0, module.Log);
        foreach (var file in new[] { "Opus.psd1", "Opus.Format.ps1xml", "Opus.PowerShell.dll", "en-US/Opus.PowerShell.dll-Help.xml" })
            Assert.True(File.Exists(Path.Combine(module.Folder, file)), $"{file} is missing");
        var root = Directory.GetFiles(module.Folder, "*.dll").Select(Path.GetFileName).ToList();
        Assert.Equal(["Opus.PowerShell.dll"], root);

        var dependencies = Path.Combine(module.Folder, "Dependencies");
        foreach (var file in new[] { "Opus.Core.dll", "Opus.Client.dll", "Opus.Client.deps.json", "Opus.Migrations.Sqlite.dll", "Opus.Migrations.Postgres.dll", "Microsoft.EntityFrameworkCore.dll", "Microsoft.Data.Sqlite.dll", "YamlDotNet.dll" })
            Assert.True(File.Exists(Path.Combine(dependencies, file)), $"Dependencies/{file} is missing");
        // Linux x64 only: SQLite's native library for it, and no runtimes/ folder of other platforms' libraries.
        Assert.True(File.Exists(Path.Combine(dependencies, "libe_sqlite3.so")), "SQLite's native library is missing");
        Assert.False(Directory.Exists(Path.Combine(dependencies, "runtimes")), "native libraries of other platforms must not ship");
        Assert.False(File.Exists(Path.Combine(dependencies, "System.Management.Automation.dll")), "PowerShell's stub must not ship");
        Assert.Equal(File.ReadAllText(Path.Combine(ModuleMetadata.RepositoryRoot, "module", "Opus.psd1")), File.ReadAllText(Path.Combine(module.Folder, "Opus.psd1")));
    }

    [Fact]
    public void The_package_next_to_the_module_holds_the_same_files()
    {
        Assert.True(module.ExitCode == 0, module.Log);
        var package = Assert.Single(Directory.GetFiles(Path.Combine(Path.GetDirectoryName(module.Folder)!, "repository"), "Opus.*.nupkg"));
        using var zip = System.IO.Compression.ZipFile.OpenRead(package);
        var packed = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToHashSet();
        var built = Directory.GetFiles(module.Folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(module.Folder, f).Replace('\\', '/'));
        Assert.Subset(packed, built.ToHashSet());
    }

    [Fact]
    public void The_built_help_has_every_exported_cmdlet_with_synopsis_parameters_and_examples()
    {
        Assert.True(module.ExitCode == 0, module.Log);
        var help = XDocument.Load(Path.Combine(module.Folder, "en-US", "Opus.PowerShell.dll-Help.xml"));
        var manifest = File.ReadAllText(Path.Combine(module.Folder, "Opus.psd1"));
        var exported = System.Text.RegularExpressions.Regex.Matches(manifest.Split("CmdletsToExport")[1].Split(')')[0], "'([^']+)'").Select(m => m.Groups[1].Value).ToList();
        var commands = help.Root!.Elements(MamlWriter.Command + "command").ToDictionary(c => c.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Command + "name")!.Value);
        Assert.Equal(exported.Order(), commands.Keys.Order());
        foreach (var (name, command) in commands)
        {
            Assert.NotEmpty(command.Element(MamlWriter.Command + "details")!.Element(MamlWriter.Maml + "description")!.Value);
            Assert.NotEmpty(command.Element(MamlWriter.Command + "examples")!.Elements());
            if (name != "Disconnect-OpusServer")
                Assert.NotEmpty(command.Element(MamlWriter.Command + "parameters")!.Elements());
        }
    }

    [Fact]
    public void The_load_context_loads_Opus_Core_Opus_Client_and_SQLite_from_Dependencies_apart_from_the_default_context()
    {
        Assert.True(module.ExitCode == 0, module.Log);
        var context = new OpusLoadContext(Path.Combine(module.Folder, "Dependencies"));
        var core = context.LoadFromAssemblyName(new AssemblyName("Opus.Core"));
        Assert.StartsWith(Path.Combine(module.Folder, "Dependencies"), core.Location);
        Assert.NotSame(typeof(Core.Sessions.IOpusSession).Assembly, core);
        // The HTTP client too, and it binds to that context's Opus.Core, not to another copy.
        var client = context.LoadFromAssemblyName(new AssemblyName("Opus.Client"));
        Assert.Same(context, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(client));
        Assert.Same(core, client.GetType("Opus.Client.RemoteOpusSession")!.GetInterfaces().Single(i => i.Name == "IOpusSession").Assembly);

        // EF Core's SQLite provider resolves inside the context, native library included: open a database.
        var sqlite = context.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.Sqlite"));
        Assert.Same(context, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(sqlite));
        var connection = (IDisposable)Activator.CreateInstance(sqlite.GetType("Microsoft.Data.Sqlite.SqliteConnection")!, "Data Source=:memory:")!;
        using (connection)
        {
            connection.GetType().GetMethod("Open", Type.EmptyTypes)!.Invoke(connection, null);
            Assert.Equal("Open", connection.GetType().GetProperty("State")!.GetValue(connection)!.ToString());
        }

        var yaml = context.LoadFromAssemblyName(new AssemblyName("YamlDotNet"));
        Assert.Same(context, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(yaml));

        // EF Core loads each provider's migrations by name (ConfigureDatabase): they resolve inside the context too.
        foreach (var name in new[] { "Opus.Migrations.Sqlite", "Opus.Migrations.Postgres" })
            Assert.Same(context, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(context.LoadFromAssemblyName(new AssemblyName(name))));
    }
}
