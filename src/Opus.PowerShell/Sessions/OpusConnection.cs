using Opus.Core.Client;

namespace Opus.PowerShell.Sessions;

/// <summary>What Connect-OpusServer -PassThru shows of the session.</summary>
public sealed record OpusConnection(string Target, bool IsRemote, string UserName)
{
    internal static OpusConnection Of(IOpusSession session) => new(session.Target, session.IsRemote, session.UserName);
}
