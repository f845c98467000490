using System.Runtime.CompilerServices;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Sessions;

/// <summary>
/// The module's open sessions in this process, the last opened being the default of every cmdlet, and
/// which session each job object written came from (so a job acts on its own session).
/// </summary>
internal static class SessionHolder
{
    private static readonly object Gate = new();
    private static readonly List<OpusSession> Open = [];
    private static readonly ConditionalWeakTable<object, OpusSession> Origins = new();

    /// <summary>The session cmdlets use when given none: the last opened that is still open.</summary>
    public static OpusSession? Last
    {
        get
        {
            lock (Gate)
                return Open.Count > 0 ? Open[^1] : null;
        }
    }

    /// <summary>The open sessions, oldest first (the last is <see cref="Last"/>).</summary>
    public static IReadOnlyList<OpusSession> All
    {
        get
        {
            lock (Gate)
                return [.. Open];
        }
    }

    /// <summary>Adds an opened session; it becomes the default. Others stay open.</summary>
    public static OpusSession Add(IOpusSession client)
    {
        var session = new OpusSession(client);
        lock (Gate)
            Open.Add(session);
        return session;
    }

    /// <summary>Closes <paramref name="session"/> (the last opened when null); false when it was not open.</summary>
    public static bool Close(OpusSession? session)
    {
        lock (Gate)
        {
            session ??= Open.Count > 0 ? Open[^1] : null;
            if (session is null || !Open.Remove(session))
                return false;
            session.IsOpen = false;
        }

        session.Client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Closes every open session, the last opened first.</summary>
    public static void CloseAll()
    {
        while (Close(null))
        {
        }
    }

    /// <summary>Records the session an object written by a cmdlet came from.</summary>
    public static void Remember(object item, OpusSession session) => Origins.AddOrUpdate(item, session);

    /// <summary>The session <paramref name="item"/> came from, if a cmdlet wrote it.</summary>
    public static OpusSession? Of(object? item) => item is not null && Origins.TryGetValue(item, out var session) ? session : null;
}
