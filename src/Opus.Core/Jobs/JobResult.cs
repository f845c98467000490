namespace Opus.Core.Jobs;

/// <summary>A result file of a job, kept in the content-addressed store under its SHA-256.</summary>
/// <param name="Id">Unique within the job: the generated entity's name, suffixed for globs.</param>
/// <param name="FileName">The file name the script wrote, relative to the working directory.</param>
public sealed record JobResult(string Id, string FileName, string Sha256, long Size, string MimeType);
