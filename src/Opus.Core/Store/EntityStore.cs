using System.Security.Cryptography;

namespace Opus.Core.Store;

/// <summary>
/// Content-addressed file store: each file lives once under data/store/ab/abcdef... (its SHA-256),
/// is written once and never changed.
/// </summary>
public sealed class EntityStore(OpusOptions options)
{
    public string PathOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
            throw new ArgumentException("not a SHA-256 hex digest", nameof(sha256));
        return Path.Combine(options.StorePath, sha256[..2], sha256);
    }

    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Moves a file into the store (or drops it when the content is already there); returns its digest and size.</summary>
    public async Task<(string Sha256, long Size)> AddFileAsync(string path, CancellationToken cancellationToken = default)
    {
        string sha;
        long size;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous))
        {
            size = stream.Length;
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        }

        var target = PathOf(sha);
        if (File.Exists(target))
        {
            File.Delete(path);
            return (sha, size);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(path, target);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another job stored the same content at the same moment.
            File.Delete(path);
        }

        File.SetAttributes(target, FileAttributes.ReadOnly);
        return (sha, size);
    }

    /// <summary>Streams content into the store; returns its digest and size.</summary>
    public async Task<(string Sha256, long Size)> AddStreamAsync(Stream content, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(options.StorePath);
        var temp = Path.Combine(options.StorePath, $".incoming-{Guid.NewGuid():N}");
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            await content.CopyToAsync(file, cancellationToken);
        return await AddFileAsync(temp, cancellationToken);
    }

    public FileStream OpenRead(string sha256) =>
        new(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
