using Opus.Core.Sessions;
using Opus.Core.Uws;

namespace Opus.Client;

/// <summary>What jobs produced: results by the href the job gives (the content store, /store) and the logs under the job.</summary>
public sealed partial class RemoteOpusSession
{
    public async Task DownloadResultAsync(UwsResult result, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var path = result.Href is { } href && Uri.TryCreate(href, UriKind.Absolute, out var absolute) && SameServer(absolute)
            ? absolute.PathAndQuery.TrimStart('/')
            : $"{JobPath(result.Definition, result.JobId)}/results/{Uri.EscapeDataString(result.Name)}";
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await Streams.CopyAsync(body, destination, progress, cancellationToken);
    }

    public async Task<string> ReadLogAsync(string definition, string id, JobLog log, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{JobPath(definition, id)}/{(log == JobLog.Stdout ? "stdout" : "stderr")}", null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private bool SameServer(Uri uri) => uri.Scheme == BaseUri.Scheme && uri.Authority == BaseUri.Authority;
}
