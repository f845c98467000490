using System.Globalization;
using System.Text;

namespace Opus.Core.Jobs;

/// <summary>
/// How far a running job says it is: a percentage and a short message, as its script reported them with
/// <c>opus_progress</c>. The message is the user's text: only ever shown, cut to <see cref="MaxMessageLength"/>,
/// control characters made spaces.
/// </summary>
public sealed record JobProgress(int Percent, string Message)
{
    public const int MaxMessageLength = 200;

    private const string Keyword = "PROGRESS";

    /// <summary>A progress with the percentage held to 0-100 and the message made safe to store and show.</summary>
    public static JobProgress Of(int percent, string? message)
    {
        var text = new StringBuilder(Math.Min(message?.Length ?? 0, MaxMessageLength));
        foreach (var rune in (message ?? "").EnumerateRunes())
        {
            if (text.Length + rune.Utf16SequenceLength > MaxMessageLength)
                break;
            text.Append(Rune.IsControl(rune) ? " " : rune.ToString());
        }

        return new JobProgress(Math.Clamp(percent, 0, 100), text.ToString().Trim());
    }

    /// <summary>A runner's progress report, "EPOCH_SECONDS PROGRESS PERCENT [MESSAGE]"; null for any other line.</summary>
    public static JobProgress? ParseReport(string? line)
    {
        var parts = (line ?? "").Split(' ', 3);
        if (parts.Length < 3
            || !decimal.TryParse(parts[0], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)
            || parts[1] != Keyword)
            return null;
        return ParseLine(parts[2]);
    }

    /// <summary>A line of the progress file a script writes, "PERCENT [MESSAGE]"; null when it is not one.</summary>
    public static JobProgress? ParseLine(string line)
    {
        var parts = line.Split(' ', 2);
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            return null;
        return Of(percent, parts.Length > 1 ? parts[1] : "");
    }
}
