namespace Opus.Core.Storage;

/// <summary>
/// Writes items in batches, one batch at a time: a caller whose item finds no write under way writes it, with every
/// item queued meanwhile, and is done when that batch is; items that arrive during a write wait for the next batch,
/// which a pool thread writes. So writes made at the same moment share one transaction and never queue one by one
/// behind the database's write lock. A batch that fails is written again item by item, so each caller gets its own outcome.
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> write)
{
    private readonly object _gate = new();
    private List<Entry> _pending = [];
    private bool _writing;

    private sealed record Entry(T Item)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Completes when the item is committed; faults with the write's exception when it is not.</summary>
    public Task AddAsync(T item)
    {
        var entry = new Entry(item);
        lock (_gate)
        {
            _pending.Add(entry);
            if (_writing)
                return entry.Done.Task;
            _writing = true;
        }

        return WriteThenWaitAsync(entry);
    }

    private async Task WriteThenWaitAsync(Entry entry)
    {
        await WriteBatchAsync();
        await entry.Done.Task;
    }

    private async Task WriteBatchAsync()
    {
        List<Entry> batch;
        lock (_gate)
            (batch, _pending) = (_pending, []);
        await WriteAsync(batch);
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                _writing = false;
                return;
            }
        }

        // Those that came during this write: the next batch, on a pool thread, so that this caller answers now.
        _ = Task.Run(WriteBatchAsync);
    }

    private async Task WriteAsync(List<Entry> batch)
    {
        try
        {
            await write(batch.ConvertAll(e => e.Item));
            foreach (var entry in batch)
                entry.Done.TrySetResult();
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One item's fault must not fail the others.
            foreach (var entry in batch)
                await WriteAsync([entry]);
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }
}
