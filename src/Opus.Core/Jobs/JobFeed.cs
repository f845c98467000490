using System.Collections.Immutable;
using System.Threading.Channels;

namespace Opus.Core.Jobs;

/// <summary>
/// One change of a job as the feed broadcasts it; <see cref="Phase"/> is null when the job was deleted.
/// A progress report (<see cref="Progress"/> set) leaves the phase as it was.
/// </summary>
public sealed record JobChange(string Id, string Definition, string? Owner, JobPhase? Phase, DateTime At, JobProgress? Progress = null);

/// <summary>
/// In-process broadcast of job creations, phase changes and deletions, for live views (the web
/// client's event stream). <see cref="JobRepository"/> publishes after each successful write;
/// each subscriber has its own bounded queue, and a slow one loses its oldest changes rather
/// than holding anyone up. Publishing costs nothing while nobody listens. With several processes on
/// one PostgreSQL, <see cref="Storage.PostgresJobNotifications"/> forwards this process's changes
/// (<see cref="Published"/>) and relays the others' (<see cref="PublishRemote"/>).
/// </summary>
public sealed class JobFeed
{
    private readonly object _gate = new();
    private ImmutableArray<Channel<JobChange>> _subscribers = [];

    /// <summary>Whether a change is worth publishing: someone here listens, or another process may.</summary>
    public bool HasSubscribers => !_subscribers.IsEmpty || Published is not null;

    /// <summary>Local subscribers (live clients of this process).</summary>
    public int SubscriberCount => _subscribers.Length;

    /// <summary>
    /// Each change this process publishes, for the other processes sharing the database. Why apart from
    /// the subscribers: a change relayed from another process (<see cref="PublishRemote"/>) must not be
    /// sent back, or the processes would echo each change to one another.
    /// </summary>
    public event Action<JobChange>? Published;

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

    /// <summary>A change made by this process: to the subscribers here and, through <see cref="Published"/>, to the other processes.</summary>
    public void Publish(JobChange change)
    {
        PublishRemote(change);
        Published?.Invoke(change);
    }

    /// <summary>A change another process made: to the subscribers here only.</summary>
    public void PublishRemote(JobChange change)
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
