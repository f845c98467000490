using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>Reads definition files (YAML, JSON or VOTable, told apart by content) for the module and the catalog.</summary>
public static class DefinitionFiles
{
    /// <summary>The files a definitions folder may hold.</summary>
    public static bool IsDefinitionFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" or ".json" or ".xml" or ".vot";

    /// <summary>
    /// Reads and validates one file; throws <see cref="OpusValidationException"/> naming the file and every problem
    /// (<see cref="OpusTooLargeException"/> for a file over the limits' size, before reading it).
    /// </summary>
    public static JobDefinition Read(string path, DefinitionLimits? limits = null)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new OpusNotFoundException($"{path}: no such file");
        limits ??= new DefinitionLimits();
        if (file.Length > limits.MaxDocumentBytes)
            throw limits.TooLarge(file.Name);
        return DefinitionFormats.Read(File.ReadAllText(path), file.Name);
    }
}
