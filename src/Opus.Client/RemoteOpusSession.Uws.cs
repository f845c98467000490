using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Opus.Core.Jobs;
using Opus.Core.Sessions;
using Opus.Core.Uws;

namespace Opus.Client;

/// <summary>Jobs: the UWS 1.1 job lists under /rest/{definition}, read with Core's UWS XML reader.</summary>
public sealed partial class RemoteOpusSession
{
    public async Task<UwsJob> CreateJobAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var fields = new List<KeyValuePair<string, string>>(request.Parameters);
        if (request.RunId is not null)
            fields.Add(new("RUNID", request.RunId));
        if (request.ExecutionDuration is { } duration)
            fields.Add(new("EXECUTIONDURATION", duration.ToString(CultureInfo.InvariantCulture)));
        if (request.Destruction is { } destruction)
            fields.Add(new("DESTRUCTION", UwsTime.Format(destruction)));
        if (request.Start)
            fields.Add(new("PHASE", "RUN"));

        HttpContent content;
        var streams = new List<Stream>();
        if (request.Files.Count == 0)
        {
            content = new FormUrlEncodedContent(fields);
        }
        else
        {
            var multipart = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
                multipart.Add(new StringContent(value, Encoding.UTF8), name);
            foreach (var file in request.Files)
            {
                var stream = File.OpenRead(file.Path);
                streams.Add(stream);
                multipart.Add(new StreamContent(stream), file.Name, Path.GetFileName(file.Path));
            }

            content = multipart;
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Post, ListPath(request.Definition), content, cancellationToken);
            var id = JobIdFrom(response) ?? throw new OpusSessionException("the server created a job but did not say where (no Location)", (int)response.StatusCode);
            return await GetJobAsync(request.Definition, id, cancellationToken);
        }
        finally
        {
            content.Dispose();
            foreach (var stream in streams)
                await stream.DisposeAsync();
        }
    }

    public async Task<UwsJob> GetJobAsync(string? definition, string id, CancellationToken cancellationToken = default)
    {
        if (definition is not null)
            return await ReadJobAsync(JobPath(definition, id), definition, cancellationToken);
        foreach (var name in await DefinitionNamesAsync(cancellationToken))
        {
            try
            {
                return await ReadJobAsync(JobPath(name, id), name, cancellationToken);
            }
            catch (OpusNotFoundException)
            {
            }
        }

        throw new OpusNotFoundException($"no job '{id}' in any job list of {Target}");
    }

    public async IAsyncEnumerable<UwsJobRef> ListJobsAsync(JobListQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var lists = query.Definition is { } one ? [one] : await DefinitionNamesAsync(cancellationToken);
        var found = new List<UwsJobRef>();
        foreach (var list in lists)
        {
            var parameters = new List<string>();
            foreach (var phase in query.Phases ?? [])
                parameters.Add($"PHASE={phase}");
            if (query.After is { } after)
                parameters.Add($"AFTER={Uri.EscapeDataString(UwsTime.Format(after))}");
            if (query.Last is { } last)
                parameters.Add($"LAST={last.ToString(CultureInfo.InvariantCulture)}");
            var path = ListPath(list) + (parameters.Count > 0 ? "?" + string.Join('&', parameters) : "");
            using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            found.AddRange(Read(() => UwsXmlReader.ReadJobList(body, list)));
        }

        foreach (var job in lists.Count == 1 ? found : JobLists.Merge(found, query.Last))
            yield return job;
    }

    public async Task<UwsJob> StartJobAsync(string definition, string id, CancellationToken cancellationToken = default)
    {
        using (await SendFormAsync(JobPath(definition, id) + "/phase", [new("PHASE", "RUN")], cancellationToken))
        {
        }

        return await GetJobAsync(definition, id, cancellationToken);
    }

    public async Task<UwsJob> StopJobAsync(string definition, string id, CancellationToken cancellationToken = default)
    {
        using (await SendFormAsync(JobPath(definition, id) + "/phase", [new("PHASE", "ABORT")], cancellationToken))
        {
        }

        return await GetJobAsync(definition, id, cancellationToken);
    }

    public async Task RemoveJobAsync(string definition, string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, JobPath(definition, id), null, cancellationToken);
    }

    public async Task<UwsJob> UpdateJobAsync(string definition, string id, JobChanges changes, CancellationToken cancellationToken = default)
    {
        var job = JobPath(definition, id);
        if (changes.Parameters is { Count: > 0 } parameters)
        {
            using var response = await SendFormAsync(job + "/parameters", parameters, cancellationToken);
        }

        if (changes.ExecutionDuration is { } seconds)
        {
            using var response = await SendFormAsync(job + "/executionduration", [new("EXECUTIONDURATION", seconds.ToString(CultureInfo.InvariantCulture))], cancellationToken);
        }

        if (changes.Destruction is { } destruction)
        {
            using var response = await SendFormAsync(job + "/destruction", [new("DESTRUCTION", UwsTime.Format(destruction))], cancellationToken);
        }

        return await GetJobAsync(definition, id, cancellationToken);
    }

    public async Task<UwsJob> WaitJobAsync(string definition, string id, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + wait;
        var first = await GetJobAsync(definition, id, cancellationToken);
        var job = first;
        while (!job.Phase.IsFinal() && job.Phase == first.Phase && DateTime.UtcNow < deadline)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling((deadline - DateTime.UtcNow).TotalSeconds));
            var asked = DateTime.UtcNow;
            job = await ReadJobAsync($"{JobPath(definition, id)}?WAIT={seconds.ToString(CultureInfo.InvariantCulture)}&PHASE={job.Phase}", definition, cancellationToken);
            // WAIT does not block in every phase (HELD, SUSPENDED): then look again a second later.
            if (job.Phase == first.Phase && DateTime.UtcNow - asked < TimeSpan.FromMilliseconds(500))
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        return job;
    }

    private async Task<UwsJob> ReadJobAsync(string path, string definition, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return Read(() => UwsXmlReader.ReadJob(body, definition));
    }

    private static string ListPath(string definition) => $"rest/{Uri.EscapeDataString(definition)}";

    private static string JobPath(string definition, string id) => $"{ListPath(definition)}/{Uri.EscapeDataString(id)}";

    /// <summary>The job id at the end of the 303's Location.</summary>
    private static string? JobIdFrom(HttpResponseMessage response) =>
        response.Headers.Location is { } location
            ? Uri.UnescapeDataString((location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0]).TrimEnd('/').Split('/')[^1])
            : null;
}
