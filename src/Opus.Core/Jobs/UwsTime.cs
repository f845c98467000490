using System.Globalization;

namespace Opus.Core.Jobs;

/// <summary>UWS instants: ISO 8601, UTC, with a 'Z' (UWS 1.8).</summary>
public static class UwsTime
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd",
    ];

    public static string Format(DateTime value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses an ISO 8601 instant; one without a zone is taken as UTC. Null when malformed.</summary>
    public static DateTime? Parse(string? text) =>
        DateTime.TryParseExact(text?.Trim(), Formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value)
            ? DateTime.SpecifyKind(value, DateTimeKind.Utc)
            : null;
}
