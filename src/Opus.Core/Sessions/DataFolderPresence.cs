namespace Opus.Core.Sessions;

/// <summary>
/// Who has a data folder open: every server and every local session holds a shared lock on
/// data/opus.lock while it runs (flock on Unix). Whoever can take it exclusively is alone, and only
/// then may it settle jobs a previous run left active: with another process present, those jobs may
/// be that process's own, still running.
/// </summary>
public sealed class DataFolderPresence : IDisposable
{
    public const string FileName = "opus.lock";

    private FileStream? _lock;

    private DataFolderPresence(FileStream stream) => _lock = stream;

    /// <summary>Marks the folder as in use for as long as the result is not disposed.</summary>
    public static DataFolderPresence Enter(string dataPath)
    {
        // Another opener may be checking whether it is alone (an exclusive lock for a moment): try again briefly.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new(Open(dataPath, FileShare.ReadWrite));
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>True when no server or session has the folder open (so this process would be alone).</summary>
    public static bool IsAlone(string dataPath)
    {
        try
        {
            using var exclusive = Open(dataPath, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    // .NET takes flock(LOCK_SH) for shared opens and flock(LOCK_EX) for FileShare.None, without waiting.
    private static FileStream Open(string dataPath, FileShare share)
    {
        PrivateFiles.CreateFolder(dataPath);
        return new FileStream(Path.Combine(dataPath, FileName), FileMode.OpenOrCreate, FileAccess.Read, share);
    }
}
