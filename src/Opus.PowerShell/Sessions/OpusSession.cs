using Opus.Core.Sessions;

namespace Opus.PowerShell.Sessions;

/// <summary>
/// A session of the module: what Connect-OpusServer returns and -Session takes. Open until
/// Disconnect-OpusServer closes it; several may be open at once (a test and a production server).
/// </summary>
public sealed class OpusSession
{
    internal OpusSession(IOpusSession client) => Client = client;

    /// <summary>The server's address, or the data folder's full path.</summary>
    public string Target => Client.Target;

    /// <summary>Who the session acts as.</summary>
    public string UserName => Client.UserName;

    /// <summary>True for a server, false for a data folder opened on this machine.</summary>
    public bool IsRemote => Client.IsRemote;

    /// <summary>True while it is the default of cmdlets given no -Session (the last opened that is still open).</summary>
    public bool IsCurrent => SessionHolder.Last == this;

    /// <summary>False once Disconnect-OpusServer has closed it.</summary>
    public bool IsOpen { get; internal set; } = true;

    internal IOpusSession Client { get; }

    /// <summary>USER@TARGET, as errors and Format-List show the session.</summary>
    public override string ToString() => $"{UserName}@{Target}";
}
