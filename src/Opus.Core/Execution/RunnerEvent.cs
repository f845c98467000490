using System.Globalization;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>One line the runner reports: "EPOCH_SECONDS PHASE [EXIT_CODE]".</summary>
public sealed record RunnerEvent(DateTime Time, JobPhase Phase, int? ExitCode)
{
    public static RunnerEvent? Parse(string? line)
    {
        var parts = (line ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2
            || !decimal.TryParse(parts[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var epoch)
            || JobPhases.Parse(parts[1]) is not { } phase
            || phase is not (JobPhase.EXECUTING or JobPhase.COMPLETED or JobPhase.ERROR))
            return null;
        int? exit = parts.Length > 2 && int.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : null;
        var time = DateTime.UnixEpoch.AddTicks((long)(epoch * TimeSpan.TicksPerSecond));
        return new RunnerEvent(time, phase, exit);
    }

    /// <summary>Every well-formed event of an events file, in order (none when there is no file).</summary>
    public static IReadOnlyList<RunnerEvent> ReadFile(string path)
    {
        if (!File.Exists(path))
            return [];
        return File.ReadAllLines(path).Select(Parse).OfType<RunnerEvent>().ToList();
    }
}
