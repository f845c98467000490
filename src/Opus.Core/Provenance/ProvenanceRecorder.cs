using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;

namespace Opus.Core.Provenance;

/// <summary>
/// Records what a finished job did (provenance.md section 5) in prov_activities and prov_links: its
/// times and owner, the parameter values it ran with, what it used and generated, and its own detailed
/// provenance. Recording is idempotent (a job's rows are replaced as a whole in one transaction), runs
/// right after the job reaches its final phase, and a repair pass records any finished job without
/// provenance (a crash between the two steps, a failure of the first attempt).
/// </summary>
public sealed class ProvenanceRecorder(
    IDbContextFactory<OpusDbContext> contexts,
    JobRepository jobs,
    DefinitionCatalog catalog,
    EntityStore store,
    JobWorkspace workspace,
    OpusOptions options,
    TimeProvider time,
    ILogger<ProvenanceRecorder> logger)
{
    private static readonly JobPhase[] Final = [JobPhase.COMPLETED, JobPhase.ERROR, JobPhase.ABORTED, JobPhase.ARCHIVED];

    /// <summary>Records (or records again) the provenance of a finished job; false when the job is gone or not final.</summary>
    public async Task<bool> RecordAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = await jobs.FindAsync(jobId, cancellationToken);
        if (job is null || !job.Phase.IsFinal())
            return false;
        var rows = await DescribeAsync(job, job.Phase, job.EndTime, job.Results, cancellationToken);

        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                await ReplaceAsync(db, rows, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateException e) when (attempt < 3 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Another process recorded the same job at the same moment; its rows are replaced by ours.
                await transaction.RollbackAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// What a job that is about to end will have recorded, for <see cref="InTransition"/>; null (logged) when it
    /// cannot be worked out now, in which case the job ends all the same and is recorded later.
    /// </summary>
    /// <param name="stored">The store's rows of the results, where the caller has them (each one missing is read).</param>
    public async Task<ProvenanceRows?> PrepareAsync(
        Job job, JobPhase phase, DateTime endTime, List<JobResult> results, IReadOnlyDictionary<string, StoredEntity>? stored = null,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await DescribeAsync(job, phase, endTime, results, cancellationToken, stored);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: provenance not prepared; it is recorded after the job ends", job.Id);
            return null;
        }
    }

    /// <summary>
    /// Writes prepared rows inside the transaction of the job's phase change (JobRepository.TryTransitionAsync),
    /// behind a savepoint: should they fail, the phase change still commits and the repair pass records them.
    /// Only inserted: a job that was not final has no rows yet (only final jobs are ever recorded).
    /// </summary>
    public Func<OpusDbContext, CancellationToken, Task> InTransition(ProvenanceRows rows) => async (db, cancellationToken) =>
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("provenance is written inside the phase change's transaction");
        await transaction.CreateSavepointAsync("provenance", cancellationToken);
        // This savepoint is the one the rows need: none more of EF's own around SaveChanges (two statements fewer).
        db.Database.AutoSavepointsEnabled = false;
        try
        {
            db.ProvActivities.Add(rows.Activity);
            db.ProvLinks.AddRange(rows.Links);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e)
        {
            await transaction.RollbackToSavepointAsync("provenance", cancellationToken);
            db.ChangeTracker.Clear();
            logger.LogError(e, "Job {JobId}: provenance not recorded with its end; the repair pass will retry", rows.Activity.JobId);
        }
    };

    private static async Task ReplaceAsync(OpusDbContext db, ProvenanceRows rows, CancellationToken cancellationToken)
    {
        var jobId = rows.Activity.JobId;
        await db.ProvLinks.Where(l => l.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        await db.ProvActivities.Where(a => a.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        db.ProvActivities.Add(rows.Activity);
        db.ProvLinks.AddRange(rows.Links);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>As <see cref="RecordAsync"/>, but a failure is logged, not thrown: the repair pass tries again.</summary>
    public async Task TryRecordAsync(string jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            await RecordAsync(jobId, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Job {JobId}: provenance not recorded yet; the repair pass will retry", jobId);
        }
    }

    /// <summary>Records the provenance of every finished job that has none; returns how many.</summary>
    public async Task<int> RepairAsync(CancellationToken cancellationToken = default)
    {
        List<string> missing;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            missing = await db.Jobs.Where(j => Final.Contains(j.Phase) && !db.ProvActivities.Any(a => a.JobId == j.Id))
                .Select(j => j.Id).Take(1000).ToListAsync(cancellationToken);
        }

        var count = 0;
        foreach (var id in missing)
        {
            try
            {
                if (await RecordAsync(id, cancellationToken))
                    count++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Job {JobId}: provenance could not be recorded", id);
            }
        }

        if (count > 0)
            logger.LogInformation("Recorded the missing provenance of {Count} finished jobs", count);
        return count;
    }

    /// <summary>The rows of a job that ends (or ended) in <paramref name="phase"/> at <paramref name="endTime"/> with <paramref name="results"/>.</summary>
    private async Task<ProvenanceRows> DescribeAsync(
        Job job, JobPhase phase, DateTime? endTime, List<JobResult> results, CancellationToken cancellationToken, IReadOnlyDictionary<string, StoredEntity>? known = null)
    {
        JobDefinition? definition = null;
        try
        {
            definition = await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken);
        }
        catch (Exception e) when (e is OpusNotFoundException or OpusValidationException)
        {
            logger.LogWarning("Job {JobId}: definition {Name} {Version} unreadable ({Reason}); provenance without descriptions", job.Id, job.Definition, job.DefinitionVersion, e.Message);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var end = endTime ?? now;
        // A job that never started (aborted while waiting) is an instant at its end.
        var start = job.StartTime is { } s && s <= end ? s : end;

        var links = new List<ProvLinkRow>();
        IReadOnlyList<InputResolver.Slot> slots = definition is null ? [] : InputResolver.SlotsOf(definition);
        foreach (var input in job.Inputs)
        {
            var many = slots.FirstOrDefault(slot => slot.Name == input.Name)?.AllowsMany ?? job.Inputs.Count(i => i.Name == input.Name) > 1;
            links.Add(new ProvLinkRow
            {
                JobId = job.Id,
                Kind = ProvLinkKind.Used,
                Role = input.Name,
                Index = input.Index,
                EntityKind = input.Kind switch
                {
                    JobInputKind.File => ProvEntityKind.Content,
                    JobInputKind.External => ProvEntityKind.External,
                    _ => ProvEntityKind.Value,
                },
                Sha256 = input.Sha256,
                Key = many ? $"used/{input.Name}/{input.Index}" : $"used/{input.Name}",
                Value = input.Kind == JobInputKind.File ? null : input.Value,
                FileName = input.FileName,
                ContentType = input.ContentType,
                Time = start,
            });
        }

        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        var files = job.Inputs.Where(i => i.Sha256 is not null && i.FileName is not null)
            .Select(i => new InternalProvenance.KnownFile(i.FileName!, i.Sha256!, ProvNames.ContentId(i.Sha256!))).ToList();
        foreach (var result in results)
        {
            // stdout, stderr and the provenance files are not results in provenance (section 5).
            if (ProvenanceFormats.JobResults.Any(r => r.Name == result.Id) || result.Id is "stdout" or "stderr"
                || Path.GetFileName(result.FileName) == options.Provenance.InternalFile)
                continue;
            var group = definition?.Generated.FirstOrDefault(g => g.Name == result.Id)
                ?? definition?.Generated.FirstOrDefault(g => result.Id.StartsWith(g.Name + "_", StringComparison.Ordinal) && int.TryParse(result.Id[(g.Name.Length + 1)..], out _));
            var role = group?.Name ?? result.Id;
            var stored = known?.GetValueOrDefault(result.Sha256) ?? await store.FindAsync(result.Sha256, cancellationToken);
            // This job generated the content only if it registered it first, as this result (section 4 rules 4 and 5).
            var generator = stored is null || (stored.GeneratorJobId == job.Id && stored.GeneratorResult == result.Id);
            var key = $"results/{result.Id}";
            links.Add(new ProvLinkRow
            {
                JobId = job.Id,
                Kind = ProvLinkKind.Generated,
                Role = role,
                Index = positions[role] = positions.GetValueOrDefault(role) + 1,
                EntityKind = generator ? ProvEntityKind.Content : ProvEntityKind.Result,
                Sha256 = result.Sha256,
                Key = key,
                FileName = result.FileName,
                ContentType = result.MimeType,
                Time = end,
            });
            files.Add(new InternalProvenance.KnownFile(Path.GetFileName(result.FileName), result.Sha256,
                generator ? ProvNames.ContentId(result.Sha256) : ProvNames.JobEntityId(job.Definition, job.Id, key)));
        }

        var parameters = new List<ProvParameterValue>();
        foreach (var parameter in definition?.Parameters.Where(p => p.Type != ParameterTypes.File) ?? [])
        {
            if ((job.Parameters.FirstOrDefault(p => p.Name == parameter.Name && !p.ByReference)?.Value ?? parameter.Default) is { } value)
                parameters.Add(new ProvParameterValue(parameter.Name, value));
        }

        var activity = new ProvActivityRow
        {
            JobId = job.Id,
            Definition = job.Definition,
            DefinitionVersion = job.DefinitionVersion,
            Owner = job.Owner,
            Phase = phase,
            StartTime = start,
            EndTime = end,
            Parameters = parameters,
            Internal = ReadInternal(job, results, start, end, files),
            RecordedAt = now,
        };
        return new ProvenanceRows(activity, links);
    }

    /// <summary>The job's own provenance file, rewritten (see <see cref="InternalProvenance"/>); null when there is none or it is unusable.</summary>
    private string? ReadInternal(Job job, List<JobResult> results, DateTime start, DateTime end, List<InternalProvenance.KnownFile> files)
    {
        // A definition that lists the file among its results had it moved into the store with them.
        var path = results.FirstOrDefault(r => Path.GetFileName(r.FileName) == options.Provenance.InternalFile) is { } result
            ? store.PathOf(result.Sha256)
            : Path.Combine(workspace.WorkPath(job.Id), options.Provenance.InternalFile);
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null)
            return null;
        if (info.Length > options.Provenance.MaxInternalBytes)
        {
            logger.LogWarning("Job {JobId}: {File} is larger than {Limit} bytes; not merged", job.Id, options.Provenance.InternalFile, options.Provenance.MaxInternalBytes);
            return null;
        }

        try
        {
            var notes = new List<string>();
            var records = InternalProvenance.Rewrite(File.ReadAllText(path), new InternalProvenance.Context(job.Definition, job.Id, start, end, files), notes);
            foreach (var note in notes)
                logger.LogInformation("Job {JobId}: {File}: {Note}", job.Id, options.Provenance.InternalFile, note);
            if (records.Records.Count == 0)
                return null;
            records.Prefixes.AddRange(ProvNames.PrefixesFor("urn:opus"));
            return ProvJsonWriter.WriteString(records);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Job {JobId}: {File} is not usable PROV-JSON ({Reason}); not merged", job.Id, options.Provenance.InternalFile, e.Message);
            return null;
        }
    }
}

/// <summary>A job's provenance rows, ready to be written.</summary>
public sealed record ProvenanceRows(ProvActivityRow Activity, IReadOnlyList<ProvLinkRow> Links);
