namespace Opus.Core.Sessions;

/// <summary>Copies with progress: the running total of bytes after each block (a result downloaded by either session).</summary>
public static class Streams
{
    public static async Task CopyAsync(Stream source, Stream destination, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            total += read;
            progress?.Report(total);
        }

        progress?.Report(total);
    }
}
