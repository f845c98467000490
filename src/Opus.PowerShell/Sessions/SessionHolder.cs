using Opus.Core.Client;

namespace Opus.PowerShell.Sessions;

/// <summary>
/// The module's current session, shared by its cmdlets in this process: the one Connect-OpusServer
/// opened, or a local session over $env:OPUS_DATA opened on first use.
/// </summary>
internal static class SessionHolder
{
    private static readonly object Gate = new();
    private static IOpusSession? _current;

    public static IOpusSession? Current
    {
        get
        {
            lock (Gate)
                return _current;
        }
    }

    /// <summary>Makes <paramref name="session"/> current and closes the one it replaces.</summary>
    public static void Replace(IOpusSession session)
    {
        IOpusSession? old;
        lock (Gate)
        {
            old = _current;
            _current = session;
        }

        if (old is not null && !ReferenceEquals(old, session))
            old.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Closes the current session, if any; true when there was one.</summary>
    public static bool Close()
    {
        IOpusSession? old;
        lock (Gate)
        {
            old = _current;
            _current = null;
        }

        old?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return old is not null;
    }
}
