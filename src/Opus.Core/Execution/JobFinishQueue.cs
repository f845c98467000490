using System.Threading.Channels;
using Microsoft.Extensions.Hosting;

namespace Opus.Core.Execution;

/// <summary>Claimed jobs whose results are collected off the callback's path (the runner's report is answered at once).</summary>
public sealed class JobFinishQueue
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });

    public void Enqueue(string jobId) => _queue.Writer.TryWrite(jobId);

    internal ChannelReader<string> Reader => _queue.Reader;
}

/// <summary>
/// Collects the results of claimed jobs in the background, a few at once. Stopping leaves claims in the
/// database: the next start's sweep carries them out.
/// </summary>
public sealed class JobFinisher(JobFinishQueue queue, JobEvents events) : BackgroundService
{
    private const int Workers = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Parallel.ForEachAsync(queue.Reader.ReadAllAsync(stoppingToken),
                new ParallelOptions { MaxDegreeOfParallelism = Workers, CancellationToken = stoppingToken },
                async (jobId, token) => await events.CompleteAsync(jobId, token));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
