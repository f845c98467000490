using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Takes the progress reports of running jobs and writes at most one a job every <see cref="Interval"/>:
/// a report arriving sooner waits, and only the newest waiting one is written. A script reporting
/// 10,000 times in a loop costs a write a second, whatever reaches the callback.
/// </summary>
public sealed class JobProgressReports(JobRepository jobs, TimeProvider time, ILogger<JobProgressReports> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    private sealed class Slot
    {
        public JobProgress? Waiting;
        public DateTimeOffset LastWrite = DateTimeOffset.MinValue;
        public bool Scheduled;
    }

    /// <summary>Records the report now, or within <see cref="Interval"/> when one was just written.</summary>
    public async Task ReportAsync(string jobId, JobProgress progress, CancellationToken cancellationToken = default)
    {
        var slot = _slots.GetOrAdd(jobId, _ => new Slot());
        TimeSpan wait;
        lock (slot)
        {
            slot.Waiting = progress;
            // A write is already coming: it takes this report instead of the one before.
            if (slot.Scheduled)
                return;
            slot.Scheduled = true;
            wait = slot.LastWrite + Interval - time.GetUtcNow();
        }

        if (wait > TimeSpan.Zero)
            _ = WriteLaterAsync(jobId, slot, wait);
        else
            await WriteAsync(jobId, slot, cancellationToken);
        Forget(jobId, slot);
    }

    private async Task WriteLaterAsync(string jobId, Slot slot, TimeSpan wait)
    {
        await Task.Delay(wait, time);
        await WriteAsync(jobId, slot, CancellationToken.None);
    }

    private async Task WriteAsync(string jobId, Slot slot, CancellationToken cancellationToken)
    {
        JobProgress? progress;
        lock (slot)
        {
            progress = slot.Waiting;
            slot.Waiting = null;
            slot.LastWrite = time.GetUtcNow();
            slot.Scheduled = false;
        }

        if (progress is null)
            return;
        try
        {
            await jobs.TrySetProgressAsync(jobId, progress, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A lost progress report is no reason to fail the runner's callback.
            logger.LogWarning("Job {JobId}: progress not recorded: {Reason}", jobId, e.Message);
        }
    }

    // Slots of jobs that stopped reporting go after a while, so the table holds the running jobs only.
    private void Forget(string jobId, Slot current)
    {
        if (_slots.Count < 256)
            return;
        var stale = time.GetUtcNow() - TimeSpan.FromMinutes(1);
        foreach (var (id, slot) in _slots)
        {
            lock (slot)
            {
                if (!slot.Scheduled && slot.LastWrite < stale && !ReferenceEquals(slot, current))
                    _slots.TryRemove(id, out _);
            }
        }
    }
}
