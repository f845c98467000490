using System.Globalization;
using Opus.Core.Jobs;
using Opus.Core.Uws;

namespace Opus.PowerShell.Decisions;

/// <summary>What a progress bar shows: activity, status, percent (-1 when unknown) and seconds left (-1 when unknown).</summary>
internal sealed record ProgressText(string Activity, string Status, int Percent, int SecondsRemaining)
{
    /// <summary>
    /// Waiting for a job: the job's own progress when its script reports one (opus_progress), its message
    /// in the status; else with a timeout the bar is the time used of it; without one, an executing job's
    /// time against its quote (the definition's expected run time), else unknown.
    /// </summary>
    public static ProgressText Wait(UwsJob job, TimeSpan elapsed, TimeSpan? timeout, DateTime now)
    {
        var status = $"{job.Phase}, waited {Seconds(elapsed)} s";
        if (job.Phase == JobPhase.EXECUTING && job.StartTime is { } started)
            status += $", running for {Seconds(now - started)} s";
        var percent = -1;
        var remaining = -1;
        if (timeout is { TotalSeconds: > 0 } limit)
        {
            percent = PercentOf(elapsed.TotalSeconds, limit.TotalSeconds);
            remaining = (int)Math.Max(0, Math.Ceiling((limit - elapsed).TotalSeconds));
        }
        else if (job.Phase == JobPhase.EXECUTING && job.StartTime is { } start && job.Quote is { } quote && quote > job.CreationTime)
        {
            percent = PercentOf((now - start).TotalSeconds, (quote - job.CreationTime).TotalSeconds);
        }

        if (job.Progress is { } progress && !job.Phase.IsFinal())
        {
            percent = progress.Percent;
            status += string.IsNullOrEmpty(progress.Message) ? $", {progress.Percent} %" : $", {progress.Percent} %: {progress.Message}";
        }

        if (job.Phase.IsFinal())
            percent = 100;
        return new($"Waiting for UWS job {job.Id} ({job.Definition})", status, percent, remaining);
    }

    /// <summary>Downloading a result: bytes of the size the job document gave (unknown without one).</summary>
    public static ProgressText Download(UwsResult result, long bytes, string target)
    {
        var size = result.Size is > 0 ? result.Size.Value : (long?)null;
        var status = size is { } total ? $"{Bytes(bytes)} of {Bytes(total)}" : Bytes(bytes);
        return new($"Downloading result {result.Name} of job {result.JobId}", $"{status} to {target}", size is { } t ? PercentOf(bytes, t) : -1, -1);
    }

    public static int PercentOf(double done, double total) =>
        total <= 0 ? -1 : (int)Math.Clamp(Math.Floor(done * 100 / total), 0, 99);

    private static string Seconds(TimeSpan span) => Math.Max(0, (int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
    };
}
