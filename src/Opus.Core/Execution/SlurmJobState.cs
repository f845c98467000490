using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>One job as `scontrol show job -o` describes it (the fields Opus uses); <paramref name="Restarts"/>: times SLURM requeued it.</summary>
public sealed record SlurmJobState(string JobId, string JobName, string State, string? Reason, string? ExitCode, string? TimeLimit, int Restarts = 0)
{
    /// <summary>
    /// Parses `scontrol show job -o` output: one line per job of space-separated Key=Value pairs. A value
    /// with spaces (a path) runs on into the next words; only keys before the paths are used.
    /// </summary>
    public static IReadOnlyList<SlurmJobState> Parse(string output)
    {
        var jobs = new List<SlurmJobState>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            string? last = null;
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = word.IndexOf('=');
                if (equals > 0 && word[..equals].All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or ':' or '_'))
                {
                    last = word[..equals];
                    fields[last] = word[(equals + 1)..];
                }
                else if (last is not null)
                {
                    fields[last] += " " + word;
                }
            }

            if (fields.TryGetValue("JobId", out var id) && fields.TryGetValue("JobState", out var state))
                jobs.Add(new SlurmJobState(id, fields.GetValueOrDefault("JobName") ?? "", state,
                    fields.GetValueOrDefault("Reason"), fields.GetValueOrDefault("ExitCode"), fields.GetValueOrDefault("TimeLimit"),
                    int.TryParse(fields.GetValueOrDefault("Restarts"), System.Globalization.CultureInfo.InvariantCulture, out var restarts) ? restarts : 0));
        }

        return jobs;
    }

    /// <summary>Waiting to run again after SLURM requeued it (its node failed, and the definition allows it).</summary>
    public bool IsRequeued => Restarts > 0 && State is "PENDING" or "REQUEUED" or "REQUEUE_FED";

    /// <summary>True for states after which the job never runs again.</summary>
    public bool IsFinal => State is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY"
        or "BOOT_FAIL" or "DEADLINE" or "PREEMPTED";

    /// <summary>
    /// The UWS phase (and, for ERROR, the message) this state means; null for states that say nothing
    /// new (COMPLETING: the end is being recorded; unknown states).
    /// </summary>
    public (JobPhase Phase, string? Message)? ToUws() => State switch
    {
        "PENDING" when Reason is { } r && r.StartsWith("JobHeld", StringComparison.Ordinal) => (JobPhase.HELD, null),
        "PENDING" or "CONFIGURING" or "REQUEUED" or "REQUEUE_FED" => (JobPhase.QUEUED, null),
        "REQUEUE_HOLD" or "SPECIAL_EXIT" => (JobPhase.HELD, null),
        "RUNNING" or "RESIZING" or "SIGNALING" or "STAGE_OUT" => (JobPhase.EXECUTING, null),
        "SUSPENDED" or "STOPPED" => (JobPhase.SUSPENDED, null),
        "COMPLETED" => (JobPhase.COMPLETED, null),
        "CANCELLED" => (JobPhase.ABORTED, null),
        "TIMEOUT" => (JobPhase.ERROR, $"the time limit{(TimeLimit is { } limit && limit != "UNLIMITED" ? $" of {limit}" : "")} was reached; SLURM stopped the job (TIMEOUT)"),
        "FAILED" => (JobPhase.ERROR, $"the job failed in SLURM ({Describe()})"),
        "NODE_FAIL" => (JobPhase.ERROR, "the node running the job failed (SLURM NODE_FAIL)"),
        "OUT_OF_MEMORY" => (JobPhase.ERROR, "the job ran out of memory (SLURM OUT_OF_MEMORY)"),
        "BOOT_FAIL" => (JobPhase.ERROR, "the node for the job failed to boot (SLURM BOOT_FAIL)"),
        "DEADLINE" => (JobPhase.ERROR, "the job reached its deadline before it could run (SLURM DEADLINE)"),
        "PREEMPTED" => (JobPhase.ERROR, "the job was preempted (SLURM PREEMPTED)"),
        _ => null,
    };

    private string Describe()
    {
        var parts = new List<string>();
        if (ExitCode is { } code && code.Split(':') is [var exit, var signal])
            parts.Add(signal != "0" ? $"killed by signal {signal}" : $"exit status {exit}");
        if (Reason is { Length: > 0 } reason && reason != "None")
            parts.Add($"reason {reason}");
        return parts.Count == 0 ? "FAILED" : string.Join(", ", parts);
    }
}
