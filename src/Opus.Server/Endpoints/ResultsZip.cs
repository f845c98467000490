using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;
using Opus.Core;
using Opus.Core.Jobs;
using Opus.Core.Store;
using Opus.Server.Auth;

namespace Opus.Server.Endpoints;

/// <summary>
/// Results as one zip, written entry by entry straight to the response body (an unseekable stream:
/// ZipArchive then writes each entry's sizes after its data), so nothing is built in memory or on disk.
/// One entry per result, named after the result with its file's ending (output → output.txt); the job's
/// stdout and stderr are not results and are not included (GET .../stdout, .../stderr). Which jobs and
/// results there are is settled before the first byte, so a caller's mistake is still a clean 4xx.
/// </summary>
public static partial class ResultsZip
{
    /// <summary>GET /rest/{definition}/{id}/results.zip: whoever may read the job.</summary>
    public static async Task<IResult> JobAsync([AsParameters] JobRoute route, EntityStore store)
    {
        var job = await route.GetAsync();
        var entries = EntriesOf(job, folder: "", store);
        await WriteAsync(route.Context, $"{job.Id}-results.zip", entries, store, route.Ct);
        return Results.Empty;
    }

    /// <summary>POST /jobs/results.zip: the jobs named by job=DEFINITION/ID, or else those the query's filters find.</summary>
    public static async Task<IResult> SelectionAsync(HttpContext context, JobService jobs, JobBrowser browser, EntityStore store, CancellationToken ct)
    {
        var caller = context.Caller();
        var named = context.Request.HasFormContentType
            ? (await UwsRequest.ReadFormAsync(context.Request, ct))["job"].Where(j => !string.IsNullOrEmpty(j)).Select(j => j!).Distinct().ToList()
            : [];
        if (named.Count > JobBrowser.MaxLimit)
            throw new OpusValidationException($"job: {named.Count} jobs named; at most {JobBrowser.MaxLimit} a zip");
        var targets = new List<(string Definition, string Id)>();
        foreach (var name in named)
        {
            var slash = name.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == name.Length - 1)
                throw new OpusValidationException($"job: '{UwsRequest.Shorten(name)}' is not DEFINITION/ID");
            targets.Add((name[..slash], name[(slash + 1)..]));
        }

        if (named.Count == 0)
        {
            var page = await browser.PageAsync(caller, ClientApiEndpoints.ParseListQuery(context.Request.Query) with { Limit = JobBrowser.MaxLimit }, ct);
            targets.AddRange(page.Jobs.Select(j => (j.Definition, j.Id)));
        }

        var entries = new List<(string Name, JobResult Result)>();
        foreach (var (definition, id) in targets)
            entries.AddRange(EntriesOf(await jobs.GetAsync(caller, definition, id, ct), folder: $"{Safe(id)}/", store));
        await WriteAsync(context, "jobs-results.zip", entries, store, ct);
        return Results.Empty;
    }

    /// <summary>The zip's entry names for a job's results; unique within the job, never a path outside its folder.</summary>
    internal static List<(string Name, JobResult Result)> EntriesOf(Job job, string folder, EntityStore store)
    {
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var entries = new List<(string, JobResult)>();
        foreach (var result in job.Results)
        {
            if (!store.Contains(result.Sha256))
                throw new OpusNotFoundException($"the content of result '{result.Id}' of job '{job.Id}' is no longer stored");
            var extension = Path.GetExtension(result.FileName);
            var ending = extension.Length > 1 ? "." + UnsafeCharacters().Replace(extension[1..], "_") : "";
            var name = Safe(result.Id);
            var stem = ending.Length > 0 && name.Length > ending.Length && name.EndsWith(ending, StringComparison.OrdinalIgnoreCase) ? name[..^ending.Length] : name;
            var unique = stem;
            for (var n = 2; !taken.Add(unique + ending); n++)
                unique = $"{stem}-{n}";
            entries.Add((folder + unique + ending, result));
        }

        return entries;
    }

    private static async Task WriteAsync(HttpContext context, string fileName, List<(string Name, JobResult Result)> entries, EntityStore store, CancellationToken ct)
    {
        context.Response.ContentType = "application/zip";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName }.ToString();
        // The body's PipeWriter as a stream: ZipArchive still writes some headers synchronously, which
        // Kestrel's response stream refuses; the pipe takes them (and is as unseekable as the body).
        await using var body = context.Response.BodyWriter.AsStream(leaveOpen: true);
        await using var zip = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
        foreach (var (name, result) in entries)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(ct);
            await using var source = store.OpenRead(result.Sha256);
            await source.CopyToAsync(target, ct);
        }
    }

    /// <summary>Letters, digits, dot, dash and underscore; anything else (a slash above all) becomes '_'.</summary>
    private static string Safe(string name)
    {
        var safe = UnsafeCharacters().Replace(name, "_");
        return safe.StartsWith('.') ? "_" + safe[1..] : safe;
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeCharacters();
}
