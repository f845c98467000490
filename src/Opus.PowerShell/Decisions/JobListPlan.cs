using Opus.Core.Jobs;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Decisions;

/// <summary>Get-UwsJob's list arguments as a query, or the first argument that is wrong.</summary>
internal static class JobListPlan
{
    public static (JobListQuery? Query, OpusError? Error) Decide(string? definition, IReadOnlyCollection<string>? phases, DateTime? after, int? last)
    {
        var parsed = new List<JobPhase>();
        foreach (var text in phases ?? [])
        {
            if (JobPhases.Parse(text) is not { } phase)
                return (null, OpusError.Argument("InvalidUwsJobPhase", $"'{text}' is not a UWS phase; use one of {string.Join(", ", Enum.GetNames<JobPhase>())}"));
            parsed.Add(phase);
        }

        if (last is <= 0)
            return (null, OpusError.Argument("InvalidUwsJobLast", $"-Last {last}: give a positive number of jobs"));
        return (new JobListQuery(string.IsNullOrWhiteSpace(definition) ? null : definition, parsed.Count > 0 ? parsed.Distinct().ToList() : null, after?.ToUniversalTime(), last), null);
    }
}
