using System.Management.Automation;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Closes a session of the module: -Session, or the last connected.</para>
/// <para type="description">A local session stops its job manager: jobs still running go on in their own process groups and are settled when the data folder is next opened alone (or by a server). The session opened before the one closed becomes the default again; with none left, cmdlets open $env:OPUS_DATA, if set, or ask for Connect-OpusServer.</para>
/// </summary>
/// <example>
/// <code>Disconnect-OpusServer</code>
/// <para>Closes the last connected session.</para>
/// </example>
/// <example>
/// <code>$test = Connect-OpusServer -DataPath ./test-data; Connect-OpusServer -DataPath ./other-data; Disconnect-OpusServer -Session $test</code>
/// <para>Closes the first session; the second stays open and the default.</para>
/// </example>
[Cmdlet(VerbsCommunications.Disconnect, "OpusServer")]
[OutputType(typeof(void))]
public sealed class DisconnectOpusServerCommand : OpusCmdlet
{
    /// <summary><para type="description">The session to close (from Connect-OpusServer); the last connected when absent.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public OpusSession? Session { get; set; }

    /// <summary>Closes the session of this pipeline input.</summary>
    protected override void ProcessRecord()
    {
        if (!SessionHolder.Close(Session))
            WriteVerbose(Session is null ? "No Opus session was open" : $"The Opus session {Session} was already closed");
    }
}
