using Opus.Core.Definitions;
using Opus.Core.Sessions;
using Opus.Core.Uws;

namespace Opus.PowerShell.Decisions;

/// <summary>Where downloads and exports go: inside the folder given, never outside it, never over a file unless asked.</summary>
internal static class FilePlan
{
    /// <summary>
    /// A result goes to DESTINATION/JOBID/FILENAME (the name the script wrote, sub-folders kept); the job's own
    /// provenance results, which have no file name, get their format's ending (provjson.json...) so they open.
    /// </summary>
    public static (string? Path, OpusError? Error) ResultTarget(string destination, UwsResult result)
    {
        var relative = !string.IsNullOrEmpty(result.FileName) ? result.FileName
            : Opus.Core.Provenance.ProvenanceFormats.JobResults.Any(r => r.Name == result.Name) && ProvenanceFormats.Parse(result.Name) is { } format
                ? result.Name + ProvenanceFormats.FileSuffix(format)
                : result.Name;
        return Inside(Path.Combine(destination, SafeName(result.JobId)), relative, "UwsJobResult");
    }

    /// <summary>Provenance of an id goes to FOLDER/ID.json (.xml, .provn, .svg).</summary>
    public static string ProvenanceTarget(string folder, string id, ProvenanceFormat format) =>
        Path.Combine(folder, SafeName(id) + ProvenanceFormats.FileSuffix(format));

    /// <summary>
    /// A definition goes to the file given, or when the path is a folder (or several definitions are
    /// written) to FOLDER/NAME.yaml (.json, _vot.xml, .wadl).
    /// </summary>
    public static string DefinitionTarget(string path, bool pathIsFolder, string name, DefinitionFormat format) =>
        pathIsFolder ? Path.Combine(path, SafeName(name) + DefinitionFormats.FileSuffix(format)) : path;

    /// <summary>An existing file is an error unless -Force.</summary>
    public static OpusError? Overwrite(string target, bool exists, bool force, string subject) =>
        exists && !force ? new OpusError($"{subject}FileExists", "ResourceExists", $"{target} exists; use -Force to overwrite it") : null;

    private static (string? Path, OpusError? Error) Inside(string folder, string relative, string subject)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var target = Path.GetFullPath(Path.Combine(root, relative));
        return Path.IsPathRooted(relative) || !target.StartsWith(root, StringComparison.Ordinal)
            ? (null, new OpusError($"Unsafe{subject}Path", "SecurityError", $"'{relative}' would be written outside {root}; it was not downloaded"))
            : (target, null);
    }

    /// <summary>A name usable as one file name: separators and control characters become '_'.</summary>
    public static string SafeName(string name)
    {
        var chars = name.Select(c => c is '/' or '\\' or ':' || char.IsControl(c) || Path.GetInvalidFileNameChars().Contains(c) ? '_' : c).ToArray();
        var safe = new string(chars);
        return safe is "" or "." or ".." ? "_" : safe;
    }
}
