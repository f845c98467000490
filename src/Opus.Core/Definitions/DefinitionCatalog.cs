using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Core.Definitions;

/// <summary>
/// The job definitions, every version kept in the database. A name's current definition is its
/// most recently published version; a job records the version it was created with and runs that one.
/// Reads come from memory; the catalog reloads after its own writes and at every maintenance sweep.
/// </summary>
public sealed class DefinitionCatalog(IDbContextFactory<OpusDbContext> contexts, TimeProvider time, OpusOptions options, ILogger<DefinitionCatalog> logger, Operations.OpusAudit audit)
{
    private readonly ConcurrentDictionary<(string Name, string Version), JobDefinition> _versions = new();
    private volatile Dictionary<string, JobDefinition> _current = new(StringComparer.Ordinal);
    private volatile HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>The current (published) definitions, by name.</summary>
    public IReadOnlyCollection<JobDefinition> All => _current.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

    public JobDefinition? Find(string name) => _current.GetValueOrDefault(name);

    public JobDefinition Get(string name) =>
        Find(name) ?? throw new OpusNotFoundException($"no job definition named '{name}'");

    /// <summary>True when the name has or had a definition (jobs of a withdrawn definition stay readable).</summary>
    public bool Exists(string name) => _known.Contains(name);

    /// <summary>A given version, published or not (the one a job was created with).</summary>
    public async Task<JobDefinition> GetVersionAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        if (_versions.TryGetValue((name, version), out var cached))
            return cached;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var record = await db.Definitions.AsNoTracking().FirstOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken)
            ?? throw new OpusNotFoundException($"no version '{version}' of job definition '{name}'");
        return _versions.GetOrAdd((name, version), Deserialize(record));
    }

    /// <summary>
    /// True when the version was withdrawn. Read from the database, not the in-memory catalog, so that a
    /// withdrawal made through another server process counts at once.
    /// </summary>
    public async Task<bool> IsWithdrawnAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Definitions.AnyAsync(d => d.Name == name && d.Version == version && d.Status == DefinitionStatus.Withdrawn, cancellationToken);
    }

    /// <summary>Every version of a name, newest first.</summary>
    public async Task<List<DefinitionRecord>> VersionsAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var versions = await db.Definitions.AsNoTracking().Where(d => d.Name == name).ToListAsync(cancellationToken);
        if (versions.Count == 0)
            throw new OpusNotFoundException($"no job definition named '{name}'");
        return versions.OrderByDescending(d => d.CreatedAt).ToList();
    }

    /// <summary>
    /// Stores a new version as proposed (or published at once). Proposing the same name and version
    /// again with the same content changes nothing; with other content it is refused: versions never change.
    /// A new proposal is refused (<see cref="OpusStateException"/>) when <paramref name="by"/> has
    /// <paramref name="maxPending"/> proposals waiting already (0: no limit).
    /// </summary>
    public Task<DefinitionRecord> ProposeAsync(JobDefinition definition, string? by, bool publish, int maxPending = 0, CancellationToken cancellationToken = default) =>
        StoreAsync(definition, by, publish, publishStored: publish, cancellationToken, publish ? 0 : maxPending);

    /// <summary>
    /// Adds a version unless it is stored; a stored one with other content is refused (<see cref="OpusStateException"/>).
    /// <paramref name="publishStored"/> publishes a stored version with the same content that is not published.
    /// A version stored by a concurrent call between the look and the insert counts as stored.
    /// </summary>
    private async Task<DefinitionRecord> StoreAsync(
        JobDefinition definition, string? by, bool publish, bool publishStored, CancellationToken cancellationToken, int maxPending = 0)
    {
        // The standard form (empty is absent, \r\n is \n...) then validation, as every reader does,
        // so a version's stored document is the same however the definition arrived.
        definition = DefinitionCleanup.Finish(definition, definition.Name);
        var document = DefinitionJson.Write(definition);
        var existing = await FindRecordAsync(definition.Name, definition.Version, cancellationToken);
        if (existing is null)
        {
            // Checked before the insert, so two proposals at the same instant may pass one over the limit.
            if (maxPending > 0 && await PendingCountAsync(by, cancellationToken) >= maxPending)
                throw new OpusStateException(
                    $"quota reached: at most {maxPending} proposed definitions waiting per user ({DefinitionLimits.Section}:{nameof(DefinitionLimits.MaxPendingProposalsPerUser)}); wait until an admin publishes or withdraws one");
            var now = time.GetUtcNow().UtcDateTime;
            var record = new DefinitionRecord
            {
                Name = definition.Name,
                Version = definition.Version,
                Status = publish ? DefinitionStatus.Published : DefinitionStatus.Proposed,
                Document = document,
                CreatedAt = now,
                CreatedBy = by,
                PublishedAt = publish ? now : null,
                PublishedBy = publish ? by : null,
            };
            if (await TryAddAsync(record, cancellationToken))
            {
                audit.DefinitionChanged(record.Name, record.Version, record.Status.ToString(), by);
                await ReloadAndAnnounceAsync(cancellationToken);
                return record;
            }

            // Stored by a concurrent request since we looked: decided as if that one had come first.
            existing = await FindRecordAsync(definition.Name, definition.Version, cancellationToken)
                ?? throw new InvalidOperationException($"version '{definition.Version}' of '{definition.Name}' is a duplicate key but cannot be read");
        }

        if (existing.Document != document)
            throw new OpusStateException($"version '{definition.Version}' of '{definition.Name}' exists with other content; give the new definition a new version");
        if (publishStored && existing.Status != DefinitionStatus.Published)
        {
            await PublishAsync(definition.Name, definition.Version, by, cancellationToken);
            existing = await FindRecordAsync(definition.Name, definition.Version, cancellationToken) ?? existing;
        }

        return existing;
    }

    /// <summary>Inserts a new version; false when the name and version are stored already (the key's unique violation).</summary>
    private async Task<bool> TryAddAsync(DefinitionRecord record, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Definitions.Add(record);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            return false;
        }
    }

    /// <summary>Versions <paramref name="by"/> proposed that are neither published nor withdrawn.</summary>
    private async Task<int> PendingCountAsync(string? by, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Definitions.CountAsync(d => d.CreatedBy == by && d.Status == DefinitionStatus.Proposed, cancellationToken);
    }

    private async Task<DefinitionRecord?> FindRecordAsync(string name, string version, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Definitions.AsNoTracking().FirstOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken);
    }

    /// <summary>Makes a version the current one (an admin's step in the propose/publish workflow).</summary>
    public async Task PublishAsync(string name, string version, string? by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var record = await db.Definitions.FirstOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken)
            ?? throw new OpusNotFoundException($"no version '{version}' of job definition '{name}'");
        record.Status = DefinitionStatus.Published;
        record.PublishedAt = time.GetUtcNow().UtcDateTime;
        record.PublishedBy = by;
        await db.SaveChangesAsync(cancellationToken);
        audit.DefinitionChanged(name, version, nameof(DefinitionStatus.Published), by);
        await ReloadAndAnnounceAsync(cancellationToken);
    }

    /// <summary>Withdraws every version: no new jobs; existing jobs keep their history.</summary>
    public async Task WithdrawAsync(string name, string? by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Definitions.Where(d => d.Name == name && d.Status != DefinitionStatus.Withdrawn)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.Status, DefinitionStatus.Withdrawn), cancellationToken);
        if (changed == 0 && !_known.Contains(name))
            throw new OpusNotFoundException($"no job definition named '{name}'");
        audit.DefinitionChanged(name, null, nameof(DefinitionStatus.Withdrawn), by);
        await ReloadAndAnnounceAsync(cancellationToken);
    }

    /// <summary>
    /// After this process changed the catalog: for the other server processes on the database
    /// (PostgresJobNotifications tells them, so they re-read at once instead of at their next sweep).
    /// </summary>
    public event Action? Changed;

    private async Task ReloadAndAnnounceAsync(CancellationToken cancellationToken)
    {
        await ReloadAsync(cancellationToken);
        Changed?.Invoke();
    }

    /// <summary>Re-reads which version of each name is current.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Definitions.AsNoTracking()
            .Select(d => new { d.Name, d.Version, d.Status, d.PublishedAt, d.Document })
            .ToListAsync(cancellationToken);
        var current = new Dictionary<string, JobDefinition>(StringComparer.Ordinal);
        foreach (var latest in rows.Where(r => r.Status == DefinitionStatus.Published).GroupBy(r => r.Name).Select(g => g.MaxBy(r => r.PublishedAt)!))
            current[latest.Name] = _versions.GetOrAdd((latest.Name, latest.Version), _ => DefinitionJson.Read(latest.Document, latest.Name));
        _current = current;
        _known = rows.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Publishes the definitions of a folder (the samples) that the database does not have yet: a
    /// version already stored (published, proposed or withdrawn) is left as it is, so an admin's
    /// withdrawal outlives restarts; a new version in the folder is added and published.
    /// A file is skipped with a logged reason when it is invalid or clashes with a stored version.
    /// Returns how many of the folder's versions are published.
    /// </summary>
    public async Task<int> LoadFolderAsync(string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            logger.LogWarning("Definitions folder {Folder} does not exist", folder);
            await ReloadAndAnnounceAsync(cancellationToken);
            return 0;
        }

        var count = 0;
        foreach (var path in Directory.EnumerateFiles(folder).Where(DefinitionFiles.IsDefinitionFile).Order(StringComparer.Ordinal))
        {
            try
            {
                var record = await StoreAsync(DefinitionFiles.Read(path, options.Definitions), by: null, publish: true, publishStored: false, cancellationToken);
                switch (record.Status)
                {
                    case DefinitionStatus.Published:
                        count++;
                        break;
                    case DefinitionStatus.Withdrawn:
                        logger.LogInformation("Definition {Name} version {Version} in the folder was withdrawn by an admin; not published again", record.Name, record.Version);
                        break;
                    default:
                        logger.LogInformation("Definition {Name} version {Version} in the folder is a proposal an admin has not published; left as it is", record.Name, record.Version);
                        break;
                }
            }
            catch (Exception e) when (e is OpusValidationException or OpusStateException or OpusNotFoundException)
            {
                logger.LogError("Skipped definition {Path}: {Problem}", path, e.Message);
            }
        }

        await ReloadAndAnnounceAsync(cancellationToken);
        logger.LogInformation("Loaded {Count} job definitions from {Folder}", count, folder);
        return count;
    }

    private static JobDefinition Deserialize(DefinitionRecord record) => DefinitionJson.Read(record.Document, record.Name);
}
