using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>Reads definition files (YAML, JSON or VOTable, told apart by content) for the module and the catalog.</summary>
public static class DefinitionFiles
{
    /// <summary>The files a definitions folder may hold.</summary>
    public static bool IsDefinitionFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" or ".json" or ".xml" or ".vot";

    /// <summary>Reads and validates one file; throws <see cref="OpusValidationException"/> naming the file and every problem.</summary>
    public static JobDefinition Read(string path)
    {
        if (!File.Exists(path))
            throw new OpusNotFoundException($"{path}: no such file");
        return DefinitionFormats.Read(File.ReadAllText(path), Path.GetFileName(path));
    }
}
