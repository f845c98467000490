using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Opus.Core.Execution;

/// <summary>
/// SLURM through slurmrestd (Opus:Slurm:Transport=rest, openapi/v0.0.38) with JWT authentication: the
/// user name and token go in X-SLURM-USER-NAME and X-SLURM-USER-TOKEN on every request; values travel
/// as JSON fields, never through a shell.
/// </summary>
public sealed class SlurmRestTransport : ISlurmTransport, IDisposable
{
    private const string Api = "slurm/v0.0.38/";

    private readonly OpusOptions _options;
    private readonly ILogger<SlurmRestTransport> _logger;
    private readonly HttpClient _http;

    public SlurmRestTransport(OpusOptions options, ILogger<SlurmRestTransport> logger)
    {
        _options = options;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false })
        {
            BaseAddress = new Uri(Rest.Url!.TrimEnd('/') + "/" + Api),
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    private SlurmRestOptions Rest => _options.Slurm.Rest;

    public async Task<string> SubmitAsync(SlurmSubmission submission, CancellationToken cancellationToken = default)
    {
        var o = submission.Options;
        var job = new JsonObject
        {
            ["name"] = submission.JobName,
            ["current_working_directory"] = submission.WorkingDirectory,
            ["standard_output"] = submission.OutputPath,
            ["standard_error"] = submission.ErrorPath,
            ["environment"] = new JsonObject(submission.Environment.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
        };
        if (o.TimeMinutes is { } minutes)
            job["time_limit"] = minutes;
        if (o.Partition is { } partition)
            job["partition"] = partition;
        if (o.Nodes is { } nodes)
            job["nodes"] = new JsonArray(nodes, nodes);
        if (o.Tasks is { } tasks)
            job["tasks"] = tasks;
        if (o.CpusPerTask is { } cpus)
            job["cpus_per_task"] = cpus;
        if (o.MemoryMegabytes() is { } megabytes)
            job["memory_per_node"] = megabytes;
        if (o.Gres is { } gres)
            job["gres"] = gres;
        if (o.Constraint is { } constraint)
            job["constraints"] = constraint;
        if (o.Account is { } account)
            job["account"] = account;
        if (o.Qos is { } qos)
            job["qos"] = qos;
        // Only when asked: slurmrestd 22.05 (v0.0.38) requeues a job that says "requeue": false as well. Without the
        // field the site's JobRequeue decides (sbatch's --no-requeue has no counterpart that it obeys).
        if (o.Requeue)
            job["requeue"] = true;

        var answer = await SendAsync(HttpMethod.Post, "job/submit", new JsonObject { ["script"] = submission.Script, ["job"] = job }, cancellationToken);
        // A job id means SLURM took the job, even with "errors" beside it (right after a slurmctld restart:
        // "Required node not available" while the nodes register; the job waits, as sbatch's would).
        if (answer.Body?["job_id"]?.GetValue<long>() is { } id and > 0)
        {
            if (Errors(answer.Body) is { } remarks)
                _logger.LogInformation("{JobName}: SLURM took the job as {SlurmId} and said: {Remarks}", submission.JobName, id, remarks);
            return id.ToString(CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"SLURM refused the job: {Errors(answer.Body) ?? $"slurmrestd answered {answer.Status}"}");
    }

    public async Task CancelAsync(string jobName, string? slurmId, CancellationToken cancellationToken = default)
    {
        // Without an id, every job of that name (as scancel --name does).
        var ids = slurmId is not null
            ? [slurmId]
            : (await QueryAsync(null, cancellationToken)).Where(j => j.JobName == jobName && !j.IsFinal).Select(j => j.JobId).ToList();
        foreach (var id in ids)
        {
            // Only a job of that name: a rebuilt cluster may have given the id to another job.
            if (slurmId is not null && (await QueryAsync([id], cancellationToken)).FirstOrDefault() is { } state && state.JobName != jobName)
                continue;
            var answer = await SendAsync(HttpMethod.Delete, $"job/{id}", null, cancellationToken);
            if (Errors(answer.Body) is { } errors)
                _logger.LogWarning("{JobName}: cancelling SLURM job {SlurmId} failed: {Message}", jobName, id, errors);
        }
    }

    public async Task ReleaseAsync(string slurmId, CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Post, $"job/{slurmId}", new JsonObject { ["hold"] = false }, cancellationToken);
        if (Errors(answer.Body) is { } errors)
            throw new InvalidOperationException($"SLURM did not release job {slurmId}: {errors}");
    }

    public async Task<IReadOnlyList<SlurmJobState>> QueryAsync(IReadOnlyList<string>? slurmIds, CancellationToken cancellationToken = default)
    {
        // One id: that job (an unknown id is an error); several: the list of all.
        var answer = slurmIds is [var only]
            ? await SendAsync(HttpMethod.Get, $"job/{only}", null, cancellationToken)
            : await SendAsync(HttpMethod.Get, "jobs", null, cancellationToken);
        if (answer.Body?["jobs"] is not JsonArray jobs)
        {
            if (slurmIds is [_] && Errors(answer.Body) is { } unknown && unknown.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
                return [];
            throw new InvalidOperationException($"slurmrestd did not list jobs: {Errors(answer.Body) ?? $"status {answer.Status}"}");
        }

        var states = jobs.OfType<JsonObject>().Select(State).ToList();
        return slurmIds is null ? states : states.Where(s => slurmIds.Contains(s.JobId)).ToList();
    }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, "ping", null, cancellationToken);
        if (answer.Body?["pings"] is not JsonArray { Count: > 0 } pings || pings.Any(p => p?["ping"]?.GetValue<string>() != "UP"))
            throw new SlurmUnreachableException($"slurmctld does not answer slurmrestd: {Errors(answer.Body) ?? "no ping"}");
    }

    /// <summary>v0.0.38's job: exit_code is the raw wait status, time_limit minutes.</summary>
    private static SlurmJobState State(JsonObject job)
    {
        var status = job["exit_code"]?.GetValue<int>() ?? 0;
        var limit = job["time_limit"]?.GetValue<long>() is { } minutes and > 0 and < int.MaxValue
            ? TimeSpan.FromMinutes(minutes).ToString(minutes >= 24 * 60 ? @"d\-hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture)
            : "UNLIMITED";
        return new SlurmJobState(
            job["job_id"]?.GetValue<long>().ToString(CultureInfo.InvariantCulture) ?? "",
            job["name"]?.GetValue<string>() ?? "",
            job["job_state"]?.GetValue<string>() ?? "",
            job["state_reason"]?.GetValue<string>(),
            $"{(status >> 8) & 0xff}:{status & 0x7f}",
            limit,
            job["restart_cnt"]?.GetValue<int>() ?? 0);
    }

    private static string? Errors(JsonNode? body)
    {
        if (body?["errors"] is not JsonArray { Count: > 0 } errors)
            return null;
        var text = string.Join("; ", errors.Select(e => e?["error"]?.ToString() ?? e?["description"]?.ToString() ?? "error")).ReplaceLineEndings(" ");
        // slurmrestd answers, slurmctld behind it does not: nothing happened, try again later.
        if (text.Contains("Unable to contact slurm controller", StringComparison.OrdinalIgnoreCase))
            throw new SlurmUnreachableException($"slurmctld does not answer slurmrestd: {text}");
        return text;
    }

    private async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-SLURM-USER-NAME", Rest.User);
        request.Headers.Add("X-SLURM-USER-TOKEN", Token());
        if (body is not null)
        {
            // slurmrestd takes neither a chunked body nor a charset in the content type: a plain, sized one.
            request.Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.Slurm.CommandTimeout);
        try
        {
            using var response = await _http.SendAsync(request, limit.Token);
            var text = await response.Content.ReadAsStringAsync(limit.Token);
            if ((int)response.StatusCode is 401 or 403)
                throw new InvalidOperationException($"slurmrestd refused the token of {Rest.User} ({(int)response.StatusCode})");
            if ((int)response.StatusCode is 502 or 503 or 504)
                throw new SlurmUnreachableException($"slurmrestd answered {(int)response.StatusCode}");
            try
            {
                return ((int)response.StatusCode, JsonNode.Parse(text));
            }
            catch (JsonException)
            {
                return ((int)response.StatusCode, null);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SlurmUnreachableException($"slurmrestd at {Rest.Url} did not answer within {_options.Slurm.CommandTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new SlurmUnreachableException($"slurmrestd at {Rest.Url} cannot be reached: {e.Message}", e);
        }
    }

    private string Token()
    {
        if (!string.IsNullOrEmpty(Rest.Token))
            return Rest.Token;
        try
        {
            return File.ReadAllText(Rest.TokenFile!).Trim();
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"the slurmrestd token file cannot be read: {e.Message}", e);
        }
    }

    public void Dispose() => _http.Dispose();
}
