using System.Management.Automation;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Lists the open sessions of the module (from Connect-OpusServer), or with -Current the one cmdlets use when given no -Session.</para>
/// <para type="description">Sessions are listed in the order they were opened; the last is the current one, the default of every cmdlet given no -Session (its Current column says True). Closed sessions are not listed. With none open, nothing is written: cmdlets would then open $env:OPUS_DATA, if set, or ask for Connect-OpusServer. Each session shows its target (a server's address or a data folder's full path), the user it acts as, and whether it is remote.</para>
/// </summary>
/// <example>
/// <code>Get-OpusSession</code>
/// <para>The open sessions, oldest first; the current one is marked True under Current.</para>
/// </example>
/// <example>
/// <code>Get-OpusSession -Current</code>
/// <para>The session cmdlets use when given no -Session.</para>
/// </example>
/// <example>
/// <code>Get-OpusSession | Where-Object IsRemote | Disconnect-OpusServer</code>
/// <para>Closes every session with a server; sessions over local data folders stay open.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "OpusSession")]
[OutputType(typeof(OpusSession))]
public sealed class GetOpusSessionCommand : OpusCmdlet
{
    /// <summary><para type="description">Only the current session: the last opened that is still open, which cmdlets use when given no -Session.</para></summary>
    [Parameter]
    public SwitchParameter Current { get; set; }

    /// <summary>Writes the open sessions, or the current one.</summary>
    protected override void EndProcessing()
    {
        var sessions = Current ? (SessionHolder.Last is { } last ? [last] : []) : SessionHolder.All;
        if (sessions.Count == 0)
            WriteVerbose("No Opus session is open: cmdlets open $env:OPUS_DATA, if set, or ask for Connect-OpusServer");
        WriteObject(sessions, enumerateCollection: true);
    }
}
