using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Core.Store;

/// <summary>
/// Content-addressed file store: each file lives once under data/store/ab/abcdef... (its SHA-256),
/// is written once and never changed.
/// </summary>
public sealed class EntityStore(OpusOptions options, IDbContextFactory<OpusDbContext> contexts, TimeProvider time)
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
        var (sha, size) = await HashFileAsync(path, cancellationToken);
        MoveIn(path, sha);
        return (sha, size);
    }

    /// <summary>The digest and size of a file, read where it is.</summary>
    public static async Task<(string Sha256, long Size)> HashFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)), stream.Length);
    }

    /// <summary>
    /// Moves a file whose digest is known into the store, or drops it when the content is already there.
    /// Idempotent: a file already moved (gone from <paramref name="path"/>, present in the store) is left alone.
    /// </summary>
    public void MoveIn(string path, string sha256)
    {
        var target = PathOf(sha256);
        if (File.Exists(target))
        {
            File.Delete(path);
            return;
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
    }

    /// <summary>Streams content into the store; returns its digest and size.</summary>
    public async Task<(string Sha256, long Size)> AddStreamAsync(Stream content, CancellationToken cancellationToken = default)
    {
        PrivateFiles.CreateFolder(options.StorePath);
        var temp = Path.Combine(options.StorePath, $".incoming-{Guid.NewGuid():N}");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                await content.CopyToAsync(file, cancellationToken);
            return await AddFileAsync(temp, cancellationToken);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Records the content's entity row if it is new (provenance.md section 4); the first name,
    /// owner and generator win. Returns the row as stored.
    /// </summary>
    public async Task<StoredEntity> RegisterAsync(
        string sha256, long size, string fileName, string contentType, string? owner,
        (string JobId, string Definition, string Result)? generator, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.Sha256 == sha256, cancellationToken) is { } existing)
            return existing;
        var entity = new StoredEntity
        {
            Sha256 = sha256,
            Size = size,
            FileName = fileName,
            ContentType = contentType,
            CreationTime = time.GetUtcNow().UtcDateTime,
            Owner = owner,
            GeneratorJobId = generator?.JobId,
            GeneratorDefinition = generator?.Definition,
            GeneratorResult = generator?.Result,
        };
        db.Entities.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return entity;
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // Registered by someone else at the same moment: theirs is the first.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await again.Entities.AsNoTracking().FirstAsync(e => e.Sha256 == sha256, cancellationToken);
        }
    }

    /// <summary>
    /// Whether a caller may see stored content (provenance.md section 4, rule 6): an admin, or who
    /// registered it first, or owns a job that used or generated it (anonymous callers: unowned ones).
    /// </summary>
    public async Task<bool> IsVisibleToAsync(string sha256, Caller caller, CancellationToken cancellationToken = default)
    {
        if (caller.IsAdmin)
            return true;
        var owner = caller.Anonymous ? null : caller.UserName;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.Entities.AnyAsync(e => e.Sha256 == sha256 && e.Owner == owner, cancellationToken))
            return true;
        // Inputs and results are JSON columns of the job row; the digest is unique enough to find by text.
        var pattern = $"%{sha256}%";
        var jobs = owner is null
            ? db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM jobs WHERE \"Owner\" IS NULL AND (\"Results\" LIKE {pattern} OR \"Inputs\" LIKE {pattern})")
            : db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM jobs WHERE \"Owner\" = {owner} AND (\"Results\" LIKE {pattern} OR \"Inputs\" LIKE {pattern})");
        return await jobs.AnyAsync(cancellationToken);
    }

    public async Task<StoredEntity?> FindAsync(string sha256, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Entities.AsNoTracking().FirstOrDefaultAsync(e => e.Sha256 == sha256, cancellationToken);
    }

    public FileStream OpenRead(string sha256) =>
        new(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
