using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Operations;

/// <summary>
/// The server's metrics (meter <see cref="MeterName"/>): free to record while no exporter listens; the server
/// exports them for Prometheus when Opus:Metrics:Enabled is true. Job counts come from <see cref="JobRepository"/>,
/// where every phase change is made; gauges (queue length, store size) are read from the database when scraped.
/// </summary>
public sealed class OpusMetrics : IDisposable
{
    public const string MeterName = "Opus";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _created;
    private readonly Counter<long> _started;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _runDuration;
    private readonly UpDownCounter<long> _waiting;
    private readonly Counter<long> _slurmErrors;

    // When this process saw each job queued (PHASE=RUN), for the RUN-to-start histogram; removed when it starts or ends.
    private readonly ConcurrentDictionary<string, long> _queuedAt = new(StringComparer.Ordinal);

    public OpusMetrics(IDbContextFactory<OpusDbContext> contexts, JobFeed feed)
    {
        _created = _meter.CreateCounter<long>("opus.jobs.created", "{job}", "Jobs created");
        _started = _meter.CreateCounter<long>("opus.jobs.started", "{job}", "Jobs that entered EXECUTING");
        _finished = _meter.CreateCounter<long>("opus.jobs.finished", "{job}", "Jobs that ended, by final phase");
        _queueWait = _meter.CreateHistogram<double>("opus.jobs.queue_wait", "s", "From PHASE=RUN to EXECUTING");
        _runDuration = _meter.CreateHistogram<double>("opus.jobs.run_duration", "s", "From EXECUTING to the final phase");
        _waiting = _meter.CreateUpDownCounter<long>("opus.uws.wait_clients", "{client}", "Clients blocked in a UWS WAIT");
        _slurmErrors = _meter.CreateCounter<long>("opus.slurm.submission_errors", "{error}", "Jobs SLURM refused or sbatch failed to submit");
        _meter.CreateObservableGauge("opus.events.clients", () => feed.SubscriberCount, "{client}", "Clients of the job event stream");
        _meter.CreateObservableGauge("opus.jobs.queued", () =>
        {
            using var db = contexts.CreateDbContext();
            return db.Jobs.Count(j => j.Phase == JobPhase.QUEUED);
        }, "{job}", "Jobs QUEUED now");
        _meter.CreateObservableGauge("opus.store.size", () =>
        {
            using var db = contexts.CreateDbContext();
            return db.Entities.Sum(e => (long?)e.Size) ?? 0;
        }, "By", "Bytes held in the result store");
    }

    public void JobCreated(string definition) => _created.Add(1, Tag(definition));

    /// <summary>A phase change made by this process; <paramref name="startTime"/> and <paramref name="endTime"/> as the job now has them.</summary>
    public void PhaseChanged(string jobId, string definition, JobPhase phase, DateTime? startTime, DateTime? endTime)
    {
        switch (phase)
        {
            case JobPhase.QUEUED:
                _queuedAt[jobId] = Stopwatch.GetTimestamp();
                break;
            case JobPhase.EXECUTING:
                _started.Add(1, Tag(definition));
                if (_queuedAt.TryRemove(jobId, out var queued))
                    _queueWait.Record(Stopwatch.GetElapsedTime(queued).TotalSeconds, Tag(definition));
                break;
            case JobPhase.COMPLETED or JobPhase.ERROR or JobPhase.ABORTED:
                _queuedAt.TryRemove(jobId, out _);
                var tags = new TagList { { "definition", definition }, { "phase", phase.ToString() } };
                _finished.Add(1, tags);
                if (startTime is { } start && endTime is { } end && end >= start)
                    _runDuration.Record((end - start).TotalSeconds, tags);
                break;
        }
    }

    /// <summary>Counts a client blocked in WAIT until the result is disposed.</summary>
    public IDisposable Waiting()
    {
        _waiting.Add(1);
        return new Release(() => _waiting.Add(-1));
    }

    public void SlurmSubmissionFailed() => _slurmErrors.Add(1);

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string definition) => new("definition", definition);

    private sealed class Release(Action release) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
                release();
        }
    }
}
