using Opus.Core.Jobs;

namespace Opus.PowerShell.Decisions;

/// <summary>Tab-completion candidates as plain strings: case-insensitive prefix matches, quoted when they need it.</summary>
internal static class Completions
{
    public static IReadOnlyList<string> Match(IEnumerable<string> names, string? wordToComplete)
    {
        var word = (wordToComplete ?? "").Trim('\'', '"');
        return names
            .Where(n => n.StartsWith(word, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(Quote)
            .ToList();
    }

    public static IReadOnlyList<string> Phases(string? wordToComplete) => Match(Enum.GetNames<JobPhase>(), wordToComplete);

    /// <summary>Names with spaces or PowerShell's special characters are single-quoted (quotes doubled).</summary>
    public static string Quote(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.')
            ? name
            : $"'{name.Replace("'", "''", StringComparison.Ordinal)}'";
}
