using System.Collections.Concurrent;
using System.Threading.Channels;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// SLURM jobs whose runner reported an end by signal (exit code above 128): scancel and the time
/// limit both send SIGTERM, and only SLURM's final state (CANCELLED, TIMEOUT, ...) tells which it
/// was. The SLURM manager takes them from here and settles them once SLURM has recorded the end.
/// </summary>
public sealed class SlurmSettleQueue : IRunnerReportFilter
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, byte> _waiting = new(StringComparer.Ordinal);

    public bool TakesOver(Job job, RunnerEvent report)
    {
        if (job.Manager != SlurmManager.ManagerName || job.Phase.IsFinal() || report.Phase != JobPhase.ERROR || report.ExitCode is not (> 128 and < 160))
            return false;
        // The same report may arrive twice (callback and events file): one settlement is enough.
        if (_waiting.TryAdd(job.Id, 0))
            _queue.Writer.TryWrite(job.Id);
        return true;
    }

    internal ChannelReader<string> Reader => _queue.Reader;

    internal void Done(string jobId) => _waiting.TryRemove(jobId, out _);
}
