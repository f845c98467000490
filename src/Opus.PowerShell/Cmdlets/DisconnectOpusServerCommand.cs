using System.Management.Automation;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Closes the module's session.</para>
/// <para type="description">A local session stops its job manager: jobs still running go on in their own process groups and are settled when the data folder is next opened alone (or by a server). Cmdlets run afterwards open $env:OPUS_DATA, if set, or ask for Connect-OpusServer.</para>
/// </summary>
/// <example>
/// <code>Disconnect-OpusServer</code>
/// <para>Closes the session.</para>
/// </example>
/// <example>
/// <code>Disconnect-OpusServer; Connect-OpusServer -DataPath ./other-data</code>
/// <para>Switches to another data folder.</para>
/// </example>
[Cmdlet(VerbsCommunications.Disconnect, "OpusServer")]
[OutputType(typeof(void))]
public sealed class DisconnectOpusServerCommand : OpusCmdlet
{
    /// <summary>Closes the session.</summary>
    protected override void EndProcessing()
    {
        if (!SessionHolder.Close())
            WriteVerbose("No Opus session was open");
    }
}
