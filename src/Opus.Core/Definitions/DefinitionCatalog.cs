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
public sealed class DefinitionCatalog(IDbContextFactory<OpusDbContext> contexts, TimeProvider time, ILogger<DefinitionCatalog> logger)
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
    /// </summary>
    public async Task<DefinitionRecord> ProposeAsync(JobDefinition definition, string? by, bool publish, CancellationToken cancellationToken = default)
    {
        // The standard form (empty is absent, \r\n is \n...) then validation, as every reader does,
        // so a version's stored document is the same however the definition arrived.
        definition = DefinitionCleanup.Finish(definition, definition.Name);
        var document = DefinitionJson.Write(definition);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var existing = await db.Definitions.FirstOrDefaultAsync(d => d.Name == definition.Name && d.Version == definition.Version, cancellationToken);
        if (existing is not null)
        {
            if (existing.Document != document)
                throw new OpusStateException($"version '{definition.Version}' of '{definition.Name}' exists with other content; give the new definition a new version");
            if (publish && existing.Status != DefinitionStatus.Published)
                await PublishAsync(definition.Name, definition.Version, by, cancellationToken);
            return existing;
        }

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
        db.Definitions.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Definition {Name} version {Version} {Status} by {By}", record.Name, record.Version, record.Status, by ?? "system");
        await ReloadAsync(cancellationToken);
        return record;
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
        logger.LogInformation("Definition {Name} version {Version} published by {By}", name, version, by ?? "system");
        await ReloadAsync(cancellationToken);
    }

    /// <summary>Withdraws every version: no new jobs; existing jobs keep their history.</summary>
    public async Task WithdrawAsync(string name, string? by, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changed = await db.Definitions.Where(d => d.Name == name && d.Status != DefinitionStatus.Withdrawn)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.Status, DefinitionStatus.Withdrawn), cancellationToken);
        if (changed == 0 && !_known.Contains(name))
            throw new OpusNotFoundException($"no job definition named '{name}'");
        logger.LogInformation("Definition {Name} withdrawn by {By}", name, by ?? "system");
        await ReloadAsync(cancellationToken);
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
    /// Publishes the definitions of a folder (the samples) that the database does not have yet.
    /// A file is skipped with a logged reason when it is invalid or clashes with a stored version.
    /// </summary>
    public async Task<int> LoadFolderAsync(string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            logger.LogWarning("Definitions folder {Folder} does not exist", folder);
            await ReloadAsync(cancellationToken);
            return 0;
        }

        var count = 0;
        foreach (var path in Directory.EnumerateFiles(folder).Where(DefinitionFiles.IsDefinitionFile).Order(StringComparer.Ordinal))
        {
            try
            {
                await ProposeAsync(DefinitionFiles.Read(path), by: null, publish: true, cancellationToken);
                count++;
            }
            catch (Exception e) when (e is OpusValidationException or OpusStateException or OpusNotFoundException)
            {
                logger.LogError("Skipped definition {Path}: {Problem}", path, e.Message);
            }
        }

        await ReloadAsync(cancellationToken);
        logger.LogInformation("Loaded {Count} job definitions from {Folder}", count, folder);
        return count;
    }

    private static JobDefinition Deserialize(DefinitionRecord record) => DefinitionJson.Read(record.Document, record.Name);
}
