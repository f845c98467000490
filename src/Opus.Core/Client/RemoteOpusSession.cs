using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Users;
using Opus.Core.Uws;

namespace Opus.Core.Client;

/// <summary>How to reach a server: its address and, unless it allows anonymous use, a user name and API token.</summary>
public sealed record RemoteSessionSettings(Uri BaseUri)
{
    public string? UserName { get; init; }

    /// <summary>An Opus API token (HTTP Basic with <see cref="UserName"/>, or Bearer without one).</summary>
    public string? Token { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>For tests: the handler under the client (redirects are never followed automatically).</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>
/// A session with an Opus server over its HTTP API: UWS 1.1 under /rest, definitions under /jdl,
/// users through SCIM (/scim/v2) and /users/{name}/tokens, stored content under /store and
/// provenance under /provsap. Answers 400/403/404/409 become Core's exceptions with the server's message.
/// </summary>
public sealed class RemoteOpusSession : IOpusSession
{
    private const string ScimUser = "urn:ietf:params:scim:schemas:core:2.0:User";
    private const string ScimPatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    private readonly HttpClient _http;

    private RemoteOpusSession(HttpClient http, Uri baseUri, string userName)
    {
        _http = http;
        BaseUri = baseUri;
        UserName = userName;
        Provenance = new RemoteProvenance(this);
    }

    public Uri BaseUri { get; }

    public string Target => BaseUri.ToString().TrimEnd('/');

    public bool IsRemote => true;

    public string UserName { get; }

    public IProvenanceSource Provenance { get; }

    /// <summary>Connects and checks the credentials with one request (the definitions the caller may use).</summary>
    public static async Task<RemoteOpusSession> ConnectAsync(RemoteSessionSettings settings, CancellationToken cancellationToken = default)
    {
        var baseUri = new Uri(settings.BaseUri.ToString().TrimEnd('/') + "/");
        var handler = settings.Handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.All };
        var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = settings.Timeout };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Opus.PowerShell", typeof(RemoteOpusSession).Assembly.GetName().Version?.ToString(3)));
        if (settings.Token is { Length: > 0 } token)
        {
            http.DefaultRequestHeaders.Authorization = settings.UserName is { Length: > 0 } user
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")))
                : new AuthenticationHeaderValue("Bearer", token);
        }

        var session = new RemoteOpusSession(http, baseUri, settings.UserName is { Length: > 0 } name ? name : settings.Token is null ? "anonymous" : "(token)");
        try
        {
            await session.DefinitionNamesAsync(cancellationToken);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    // Jobs

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

    // Definitions (/jdl)

    public async Task<IReadOnlyList<JobDefinition>> ListDefinitionsAsync(CancellationToken cancellationToken = default)
    {
        var definitions = new List<JobDefinition>();
        foreach (var name in await DefinitionNamesAsync(cancellationToken))
            definitions.Add(await GetDefinitionAsync(name, null, cancellationToken));
        return definitions;
    }

    public async Task<JobDefinition> GetDefinitionAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        var json = await ExportDefinitionAsync(name, DefinitionFormat.Json, version, cancellationToken);
        return Read(() => DefinitionFormats.Read(json, $"{Target}/jdl/{name}"));
    }

    public async Task<DefinitionVersion> ImportDefinitionAsync(string content, string source, bool publish, CancellationToken cancellationToken = default)
    {
        using var body = new StringContent(content, Encoding.UTF8, "text/plain");
        using var response = await SendAsync(HttpMethod.Post, publish ? "jdl?publish=true" : "jdl", body, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        var status = Enum.TryParse<DefinitionStatus>((string?)answer["status"], ignoreCase: true, out var s) ? s : DefinitionStatus.Proposed;
        return new DefinitionVersion((string?)answer["name"] ?? "", (string?)answer["version"] ?? "", status, source);
    }

    public async Task RemoveDefinitionAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"jdl/{Uri.EscapeDataString(name)}", null, cancellationToken);
    }

    public async Task<string> ExportDefinitionAsync(string name, DefinitionFormat format, string? version = null, CancellationToken cancellationToken = default)
    {
        var path = $"jdl/{Uri.EscapeDataString(name)}?format={format.ToString().ToLowerInvariant()}" + (version is null ? "" : $"&version={Uri.EscapeDataString(version)}");
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    // Users (SCIM) and tokens

    public async Task<User> CreateUserAsync(UserRequest request, CancellationToken cancellationToken = default)
    {
        var document = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimUser),
            ["userName"] = request.UserName,
            ["active"] = request.Active,
            ["roles"] = new JsonArray(request.Roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray()),
        };
        if (request.DisplayName is not null)
            document["displayName"] = request.DisplayName;
        if (request.Email is not null)
            document["emails"] = new JsonArray(new JsonObject { ["value"] = request.Email, ["primary"] = true });
        if (request.ExternalId is { Length: > 0 } externalId)
            document["externalId"] = externalId;
        using var response = await SendJsonAsync(HttpMethod.Post, "scim/v2/Users", document, cancellationToken);
        return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));
    }

    public async Task<User> GetUserAsync(string idOrName, CancellationToken cancellationToken = default) =>
        await FindUserAsync(idOrName, cancellationToken) ?? throw new OpusNotFoundException($"no user '{idOrName}'");

    public async IAsyncEnumerable<User> ListUsersAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int page = 200;
        for (var start = 1; ; start += page)
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?startIndex={start}&count={page}", null, cancellationToken);
            var list = await ReadJsonAsync(response, cancellationToken);
            var resources = list["Resources"] as JsonArray ?? [];
            foreach (var resource in resources.OfType<JsonObject>())
                yield return ScimUserFrom(resource);
            var total = (int?)list["totalResults"] ?? 0;
            if (resources.Count == 0 || start + resources.Count > total)
                yield break;
        }
    }

    public async Task<IReadOnlyList<User>> FindUsersByExternalIdAsync(string externalId, CancellationToken cancellationToken = default)
    {
        // The filter's value is a JSON string (RFC 7644 3.4.2.2): quotes and backslashes escaped.
        var filter = Uri.EscapeDataString($"externalId eq {JsonValue.Create(externalId).ToJsonString()}");
        var users = new List<User>();
        const int page = 200;
        for (var start = 1; ; start += page)
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?filter={filter}&startIndex={start}&count={page}", null, cancellationToken);
            var list = await ReadJsonAsync(response, cancellationToken);
            var resources = list["Resources"] as JsonArray ?? [];
            users.AddRange(resources.OfType<JsonObject>().Select(ScimUserFrom));
            var total = (int?)list["totalResults"] ?? 0;
            if (resources.Count == 0 || start + resources.Count > total)
                return users;
        }
    }

    public async Task<User> UpdateUserAsync(string idOrName, UserChanges changes, CancellationToken cancellationToken = default)
    {
        var user = await GetUserAsync(idOrName, cancellationToken);
        var operations = new JsonArray();
        if (changes.Roles is { } roles)
            operations.Add(Replace("roles", new JsonArray(roles.Select(r => (JsonNode)new JsonObject { ["value"] = r }).ToArray())));
        if (changes.Active is { } active)
            operations.Add(Replace("active", active));
        if (changes.Email is { } email)
            operations.Add(email.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "emails" } : Replace("emails", new JsonArray(new JsonObject { ["value"] = email, ["primary"] = true })));
        if (changes.DisplayName is { } displayName)
            operations.Add(displayName.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "displayName" } : Replace("displayName", displayName));
        if (changes.ExternalId is { } externalId)
            operations.Add(externalId.Length == 0 ? new JsonObject { ["op"] = "remove", ["path"] = "externalId" } : Replace("externalId", externalId));
        if (operations.Count == 0)
            return user;
        var patch = new JsonObject { ["schemas"] = new JsonArray(ScimPatch), ["Operations"] = operations };
        using var response = await SendJsonAsync(HttpMethod.Patch, $"scim/v2/Users/{Uri.EscapeDataString(user.Id)}", patch, cancellationToken);
        return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));

        static JsonObject Replace(string path, JsonNode value) => new() { ["op"] = "replace", ["path"] = path, ["value"] = value };
    }

    public async Task RemoveUserAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var user = await GetUserAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Delete, $"scim/v2/Users/{Uri.EscapeDataString(user.Id)}", null, cancellationToken);
    }

    public async Task<UserToken> IssueTokenAsync(string idOrName, string tokenName, DateTime? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var fields = new List<KeyValuePair<string, string>> { new("name", tokenName) };
        if (expiresAt is { } expiry)
            fields.Add(new("expires", UwsTime.Format(expiry)));
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendFormAsync(TokensPath(userName), fields, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return TokenFrom(userName, answer) with { Secret = (string?)answer["token"] };
    }

    public async Task<IReadOnlyList<UserToken>> ListTokensAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Get, TokensPath(userName), null, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return (answer["tokens"] as JsonArray ?? []).OfType<JsonObject>().Select(t => TokenFrom(userName, t)).ToList();
    }

    public async Task RevokeTokenAsync(string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default)
    {
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Delete, $"{TokensPath(userName)}/{Uri.EscapeDataString(tokenIdOrName)}", null, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    // HTTP

    private async Task<IReadOnlyList<string>> DefinitionNamesAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "jdl", null, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return (answer["definitions"] as JsonArray ?? []).Select(d => (string?)d?["name"]).OfType<string>().ToList();
    }

    private async Task<UwsJob> ReadJobAsync(string path, string definition, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return Read(() => UwsXmlReader.ReadJob(body, definition));
    }

    private async Task<User?> FindUserAsync(string idOrName, CancellationToken cancellationToken)
    {
        var filter = Uri.EscapeDataString($"userName eq \"{idOrName.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        using (var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users?filter={filter}", null, cancellationToken))
        {
            var list = await ReadJsonAsync(response, cancellationToken);
            if ((list["Resources"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault() is { } byName)
                return ScimUserFrom(byName);
        }

        try
        {
            using var response = await SendAsync(HttpMethod.Get, $"scim/v2/Users/{Uri.EscapeDataString(idOrName)}", null, cancellationToken);
            return ScimUserFrom(await ReadJsonAsync(response, cancellationToken));
        }
        catch (OpusNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Tokens are addressed by user name; a non-admin cannot use SCIM, so a name is taken as given.</summary>
    private async Task<string> UserNameOfAsync(string idOrName, CancellationToken cancellationToken)
    {
        if (idOrName == UserName)
            return idOrName;
        try
        {
            return (await FindUserAsync(idOrName, cancellationToken))?.UserName ?? idOrName;
        }
        catch (OpusStateException)
        {
            return idOrName;
        }
    }

    internal async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new OpusSessionException($"cannot reach {Target}: {e.Message}", null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpusSessionException($"{Target} did not answer {method} /{path} within {_http.Timeout.TotalSeconds:0} s", null, e);
        }

        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.SeeOther)
            return response;
        using (response)
            throw await ErrorFromAsync(response, method, path, cancellationToken);
    }

    private Task<HttpResponseMessage> SendFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent(fields), cancellationToken);

    private Task<HttpResponseMessage> SendJsonAsync(HttpMethod method, string path, JsonObject document, CancellationToken cancellationToken) =>
        SendAsync(method, path, new StringContent(document.ToJsonString(), Encoding.UTF8, "application/scim+json"), cancellationToken);

    /// <summary>The server's one-line message (plain text, or a SCIM error's detail) as Core's exception for the status.</summary>
    private static async Task<Exception> ErrorFromAsync(HttpResponseMessage response, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var text = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
        if (text.StartsWith('{'))
        {
            try
            {
                text = (string?)JsonNode.Parse(text)?["detail"] ?? text;
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        var message = text.Length == 0 ? $"{(int)response.StatusCode} {response.ReasonPhrase} on {method} /{path}" : text.ReplaceLineEndings(" ");
        return (int)response.StatusCode switch
        {
            400 => new OpusValidationException(message),
            401 => new OpusSessionException($"the server asks for credentials, or refused them: {message}", 401),
            403 => new OpusStateException(message),
            404 => new OpusNotFoundException(message),
            409 => new OpusConflictException(message),
            var status => new OpusSessionException($"the server answered {status}: {message}", status),
        };
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new OpusSessionException("the server's answer is not a JSON object", (int)response.StatusCode);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new OpusSessionException($"the server's answer is not JSON: {e.Message}", (int)response.StatusCode, e);
        }
    }

    private static T Read<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new OpusSessionException($"unexpected answer: {e.Message}", null, e);
        }
    }

    private bool SameServer(Uri uri) => uri.Scheme == BaseUri.Scheme && uri.Authority == BaseUri.Authority;

    private static string ListPath(string definition) => $"rest/{Uri.EscapeDataString(definition)}";

    private static string JobPath(string definition, string id) => $"{ListPath(definition)}/{Uri.EscapeDataString(id)}";

    private static string TokensPath(string userName) => $"users/{Uri.EscapeDataString(userName)}/tokens";

    /// <summary>The job id at the end of the 303's Location.</summary>
    private static string? JobIdFrom(HttpResponseMessage response) =>
        response.Headers.Location is { } location
            ? Uri.UnescapeDataString((location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?')[0]).TrimEnd('/').Split('/')[^1])
            : null;

    private static User ScimUserFrom(JsonObject document)
    {
        var emails = document["emails"] as JsonArray;
        return new User
        {
            Id = (string?)document["id"] ?? "",
            UserName = (string?)document["userName"] ?? "",
            DisplayName = (string?)document["displayName"],
            Email = (string?)(emails?.FirstOrDefault(e => (bool?)e?["primary"] == true) ?? emails?.FirstOrDefault())?["value"],
            Active = (bool?)document["active"] ?? true,
            ExternalSubject = (string?)document["externalId"],
            Roles = (document["roles"] as JsonArray ?? []).Select(r => r is JsonObject o ? (string?)o["value"] : (string?)r).OfType<string>().ToList(),
            CreatedAt = UwsTime.Parse((string?)document["meta"]?["created"]) ?? default,
        };
    }

    private static UserToken TokenFrom(string userName, JsonObject token) => new(
        userName,
        (string?)token["id"] ?? "",
        (string?)token["name"] ?? "",
        UwsTime.Parse((string?)token["createdAt"]) ?? default,
        UwsTime.Parse((string?)token["expiresAt"]),
        UwsTime.Parse((string?)token["revokedAt"]),
        UwsTime.Parse((string?)token["lastUsedAt"]));

    /// <summary>ProvSAP: GET /provsap?ID=..&amp;DEPTH=..&amp;DIRECTION=..&amp;MODEL=..&amp;RESPONSEFORMAT=..</summary>
    private sealed class RemoteProvenance(RemoteOpusSession session) : IProvenanceSource
    {
        public async Task<ProvenanceDocument> GetAsync(ProvenanceQuery query, CancellationToken cancellationToken = default)
        {
            var path = new StringBuilder($"provsap?ID={Uri.EscapeDataString(query.Id)}");
            if (query.Depth is { } depth)
                path.Append(CultureInfo.InvariantCulture, $"&DEPTH={depth}");
            if (query.Direction is { } direction)
                path.Append($"&DIRECTION={Uri.EscapeDataString(direction)}");
            if (query.Model is { } model)
                path.Append($"&MODEL={Uri.EscapeDataString(model)}");
            path.Append($"&RESPONSEFORMAT={ProvenanceFormats.Name(query.Format)}");
            using var response = await session.SendAsync(HttpMethod.Get, path.ToString(), null, cancellationToken);
            var content = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ProvenanceDocument(query.Id, query.Format, response.Content.Headers.ContentType?.MediaType ?? ProvenanceFormats.MediaType(query.Format), content);
        }
    }
}
