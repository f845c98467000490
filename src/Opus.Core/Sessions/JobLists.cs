using Opus.Core.Uws;

namespace Opus.Core.Sessions;

/// <summary>Merges the job lists of several definitions as one list would be: newest first, the newest N.</summary>
public static class JobLists
{
    public static IReadOnlyList<UwsJobRef> Merge(IEnumerable<UwsJobRef> jobs, int? last)
    {
        var ordered = jobs.OrderByDescending(j => j.CreationTime).ThenByDescending(j => j.Id, StringComparer.Ordinal);
        return (last is { } n ? ordered.Take(n) : ordered).ToList();
    }
}
