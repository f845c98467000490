using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Opus.PowerShell.Tests;
using Pwsh = System.Management.Automation.PowerShell;

namespace Opus.PowerShell.Host.Tests;

/// <summary>The module scripts/build-module.sh assembles, built once for the tests that host it.</summary>
public sealed class HostedModule : IDisposable
{
    private readonly BuiltModuleFixture _built = new();

    /// <summary>A runspace of its own with the module imported by path and connected to a fresh data folder.</summary>
    public Shell OpenShell()
    {
        Assert.True(_built.ExitCode == 0, _built.Log);
        return new Shell(Path.Combine(_built.Folder, "Opus.psd1"), Path.Combine(BuiltModuleFixture.RepositoryRoot, "definitions"));
    }

    public void Dispose() => _built.Dispose();
}

/// <summary>One runspace of the real engine in this process, on a <see cref="RecordingHost"/>.</summary>
public sealed class Shell : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("opus-host-").FullName;

    public Shell(string manifest, string definitions)
    {
        Runspace = RunspaceFactory.CreateRunspace(Host, InitialSessionState.CreateDefault2());
        Runspace.Open();
        Run("param($manifest, $data, $definitions) Import-Module $manifest -ErrorAction Stop; Connect-OpusServer -DataPath $data -DefinitionsPath $definitions",
            manifest, _data, definitions);
    }

    public RecordingHost Host { get; } = new();

    public Runspace Runspace { get; }

    /// <summary>A pipeline on this runspace, to run with streams, input and Stop() under the test's control.</summary>
    public Pwsh Create()
    {
        var ps = Pwsh.Create();
        ps.Runspace = Runspace;
        return ps;
    }

    /// <summary>Runs a script with arguments; any error record fails the test.</summary>
    public Collection<PSObject> Run(string script, params object?[] arguments)
    {
        using var ps = Create();
        ps.AddScript(script);
        foreach (var argument in arguments)
            ps.AddArgument(argument);
        var output = ps.Invoke();
        Assert.True(ps.Streams.Error.Count == 0, string.Join("\n", ps.Streams.Error.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return output;
    }

    public void Dispose()
    {
        try
        {
            Run("Disconnect-OpusServer");
        }
        finally
        {
            Runspace.Dispose();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
