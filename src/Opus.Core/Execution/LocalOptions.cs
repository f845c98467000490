namespace Opus.Core.Execution;

/// <summary>Configuration section Opus:Local: how the local manager isolates jobs.</summary>
public sealed class LocalOptions
{
    public const string Bubblewrap = "bubblewrap";
    public const string NoSandbox = "none";

    /// <summary>
    /// "bubblewrap" (default): each job in its own sandbox (bwrap), seeing the system read-only and its own folder only;
    /// "none": jobs run as the server's user and see what it sees (a warning at start).
    /// </summary>
    public string Sandbox { get; set; } = Bubblewrap;

    /// <summary>The uid (and gid) sandboxed jobs run as when the server runs as root; nobody by default.</summary>
    public int SandboxUser { get; set; } = 65534;

    /// <summary>Configuration section Opus:Local:Limits: each job's memory, CPU time, processes and output.</summary>
    public LocalLimits Limits { get; set; } = new();

    public bool IsSandboxed => Sandbox == Bubblewrap;
}
