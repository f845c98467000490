namespace Opus.Core.Store;

/// <summary>Media types guessed from file extensions, for results whose definition names none.</summary>
public static class MediaTypes
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain", [".log"] = "text/plain", [".csv"] = "text/csv", [".tsv"] = "text/tab-separated-values",
        [".json"] = "application/json", [".xml"] = "text/xml", [".vot"] = "application/x-votable+xml",
        [".html"] = "text/html", [".yaml"] = "application/yaml", [".yml"] = "application/yaml",
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif",
        [".svg"] = "image/svg+xml", [".pdf"] = "application/pdf", [".fits"] = "application/fits",
        [".fit"] = "application/fits", [".fz"] = "application/fits", [".gz"] = "application/gzip",
        [".tar"] = "application/x-tar", [".zip"] = "application/zip",
    };

    public static string Guess(string fileName) =>
        ByExtension.GetValueOrDefault(Path.GetExtension(fileName), "application/octet-stream");
}
