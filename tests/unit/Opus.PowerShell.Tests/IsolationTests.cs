using System.Reflection;

namespace Opus.PowerShell.Tests;

/// <summary>No test can run PowerShellStandard's stub code: the stub is not even loadable in this process.</summary>
public sealed class IsolationTests
{
    [Fact]
    public void PowerShell_itself_cannot_be_loaded_by_these_tests()
    {
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "System.Management.Automation.dll")));
        Assert.ThrowsAny<FileNotFoundException>(() => Assembly.Load("System.Management.Automation"));
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "System.Management.Automation");
    }
}
