using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Lets a manager settle some runner reports itself. The runner sees only its exit code: killed by
/// SIGTERM it cannot tell an abort from a time limit; the manager can ask its scheduler which it was.
/// </summary>
public interface IRunnerReportFilter
{
    /// <summary>True when the manager takes over this end report (it then ends the job itself).</summary>
    bool TakesOver(Job job, RunnerEvent report);
}
