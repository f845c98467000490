using System.Collections.Concurrent;

namespace Opus.Core.Jobs;

/// <summary>
/// In-process wake-ups for WAIT: every phase change fires the job's signal, and each waiter
/// wakes at once. A waiter takes its signal before re-reading the job, so no change is missed.
/// </summary>
public sealed class JobSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the job's next change.</summary>
    public Task NextChange(string jobId) =>
        _signals.GetOrAdd(jobId, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Every change made by this process, for other processes sharing the database (PostgreSQL NOTIFY).</summary>
    public event Action<string>? Changed;

    /// <summary>A change made by this process: wakes its waiters and tells the other processes.</summary>
    public void Notify(string jobId)
    {
        Wake(jobId);
        Changed?.Invoke(jobId);
    }

    /// <summary>Wakes this process's waiters only (a change another process made).</summary>
    public void Wake(string jobId)
    {
        if (_signals.TryRemove(jobId, out var signal))
            signal.TrySetResult();
    }
}
