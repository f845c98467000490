using System.Collections.Immutable;
using System.Threading.Channels;

namespace Opus.Core.Jobs;

/// <summary>One change of a job as the feed broadcasts it; <see cref="Phase"/> is null when the job was deleted.</summary>
public sealed record JobChange(string Id, string Definition, string? Owner, JobPhase? Phase, DateTime At);

/// <summary>
/// In-process broadcast of job creations, phase changes and deletions, for live views (the web
/// client's event stream). <see cref="JobRepository"/> publishes after each successful write;
/// each subscriber has its own bounded queue, and a slow one loses its oldest changes rather
/// than holding anyone up. Publishing costs nothing while nobody listens.
/// </summary>
public sealed class JobFeed
{
    private readonly object _gate = new();
    private ImmutableArray<Channel<JobChange>> _subscribers = [];

    public bool HasSubscribers => !_subscribers.IsEmpty;

    public int SubscriberCount => _subscribers.Length;

    /// <summary>A new subscription; dispose it to stop receiving.</summary>
    public JobFeedSubscription Subscribe(int capacity = 1024)
    {
        var channel = Channel.CreateBounded<JobChange>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
            _subscribers = _subscribers.Add(channel);
        return new JobFeedSubscription(channel.Reader, () =>
        {
            lock (_gate)
                _subscribers = _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        });
    }

    public void Publish(JobChange change)
    {
        foreach (var subscriber in _subscribers)
            subscriber.Writer.TryWrite(change);
    }
}

/// <summary>A subscriber's queue of changes.</summary>
public sealed class JobFeedSubscription(ChannelReader<JobChange> changes, Action unsubscribe) : IDisposable
{
    private int _disposed;

    public ChannelReader<JobChange> Changes { get; } = changes;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            unsubscribe();
    }
}
