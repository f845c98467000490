namespace Opus.Core.Jobs;

/// <summary>
/// One value of a used entity of a job, resolved at creation (provenance.md section 5):
/// a stored file (uploaded, fetched, or already in the store), an external URL the server did not read, or a plain value.
/// </summary>
/// <param name="Name">The Used group's name (the role).</param>
/// <param name="Index">1-based position for inputs that take several values.</param>
/// <param name="Value">What the client gave: the uploaded file name, the URL, the identifier or the value.</param>
/// <param name="Sha256">For files: the stored content.</param>
/// <param name="FileName">For files: the name the script sees in inputs/NAME/.</param>
public sealed record JobInput(
    string Name,
    int Index,
    JobInputKind Kind,
    string Value,
    string? Sha256 = null,
    long? Size = null,
    string? FileName = null,
    string? ContentType = null);

public enum JobInputKind
{
    /// <summary>Content in the store: uploaded, downloaded by the server, or named by its digest.</summary>
    File,

    /// <summary>A URL the server did not read; passed to the script as is.</summary>
    External,

    /// <summary>A plain value (an identifier with no URL template, a number...).</summary>
    Value,
}
