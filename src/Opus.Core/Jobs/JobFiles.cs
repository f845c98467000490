using Opus.Core.Sessions;
using Opus.Core.Execution;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Jobs;

/// <summary>
/// Opening what a caller may read: a job's results and logs (whoever may read the job) and stored
/// content by digest (<see cref="EntityStore.IsVisibleToAsync"/>). Whatever is hidden is "not found".
/// </summary>
public sealed class JobFiles(JobService jobs, EntityStore store, JobWorkspace workspace)
{
    public async Task<(JobResult Result, Stream Content)> OpenResultAsync(Caller caller, string definition, string id, string result, CancellationToken cancellationToken = default)
    {
        var job = await jobs.GetAsync(caller, definition, id, cancellationToken);
        var found = job.Results.FirstOrDefault(r => r.Id == result)
            ?? throw new OpusNotFoundException($"job '{id}' has no result '{result}'");
        if (!store.Contains(found.Sha256))
            throw new OpusNotFoundException($"the content of result '{result}' is no longer stored");
        return (found, store.OpenRead(found.Sha256));
    }

    /// <summary>The job's standard output or error as written so far; null when the runner wrote none.</summary>
    public async Task<Stream?> OpenLogAsync(Caller caller, string definition, string id, JobLog log, CancellationToken cancellationToken = default)
    {
        await jobs.GetAsync(caller, definition, id, cancellationToken);
        var path = log == JobLog.Stdout ? workspace.StdoutPath(id) : workspace.StderrPath(id);
        // Shared: the runner may still be writing it, or the sweep deleting the job.
        return File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : null;
    }

    public async Task<(StoredEntity Entity, Stream Content)> OpenStoredAsync(Caller caller, string sha256, CancellationToken cancellationToken = default)
    {
        var entity = await store.FindAsync(sha256, cancellationToken);
        // Content the caller may not see is "not found", like another user's job.
        if (entity is null || !store.Contains(sha256) || !await store.IsVisibleToAsync(sha256, caller, cancellationToken))
            throw new OpusNotFoundException($"no stored entity {sha256}");
        return (entity, store.OpenRead(sha256));
    }
}
