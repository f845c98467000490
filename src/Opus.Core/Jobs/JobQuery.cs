namespace Opus.Core.Jobs;

/// <summary>
/// A job list request: PHASE (union), AFTER (creationTime, exclusive) and LAST (newest first),
/// combined with AND (UWS 2.3-2.6). Without PHASE=ARCHIVED, archived jobs are left out (UWS 2.2).
/// Owner restricts to one owner's jobs; OnlyUnowned to jobs without an owner (anonymous ones).
/// </summary>
public sealed record JobQuery(
    string Definition,
    IReadOnlyCollection<JobPhase>? Phases = null,
    DateTime? After = null,
    int? Last = null,
    string? Owner = null,
    bool OnlyUnowned = false);
