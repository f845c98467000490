namespace Opus.Core.Provenance;

/// <summary>
/// A job, or an entity of one job, as a ProvSAP ID names it: a bare job id, opus_job:NAME/ID[/PATH],
/// or a job URL .../rest/NAME/ID[/PATH]. PATH is "results/X" or "used/ROLE[/N]", decoded.
/// </summary>
public sealed record JobReference(string? Definition, string JobId, string? Path)
{
    public static JobReference? Parse(string text)
    {
        string rest;
        if (text.StartsWith(ProvNames.Job + ":", StringComparison.Ordinal))
        {
            rest = text[(ProvNames.Job.Length + 1)..];
        }
        else if (text.IndexOf("/rest/", StringComparison.Ordinal) is var at and >= 0)
        {
            rest = text[(at + "/rest/".Length)..].Split('?', '#')[0];
        }
        else
        {
            // A bare job id.
            return text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? new JobReference(null, text, null) : null;
        }

        var segments = rest.TrimEnd('/').Split('/').Select(Uri.UnescapeDataString).ToList();
        if (segments.Count < 2 || segments.Take(2).Any(s => s.Length == 0))
            return null;
        return new JobReference(segments[0], segments[1], segments.Count > 2 ? string.Join('/', segments.Skip(2)) : null);
    }
}
