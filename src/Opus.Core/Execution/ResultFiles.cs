using System.IO.Enumeration;

namespace Opus.Core.Execution;

/// <summary>Finds the files a generated entity names: a plain relative path, or a glob ('*', '?') in its last segment.</summary>
public static class ResultFiles
{
    public static IReadOnlyList<string> Match(string workDirectory, string pattern)
    {
        var directory = Path.GetDirectoryName(pattern) ?? "";
        var name = Path.GetFileName(pattern);
        var folder = Path.Combine(workDirectory, directory);
        if (name.IndexOfAny(['*', '?']) < 0)
        {
            var single = Path.Combine(folder, name);
            return File.Exists(single) ? [single] : [];
        }

        if (!Directory.Exists(folder))
            return [];
        return Directory.EnumerateFiles(folder)
            .Where(f => FileSystemName.MatchesSimpleExpression(name, Path.GetFileName(f), ignoreCase: false))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
