using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Opus.Core.Sessions;

namespace Opus.Client;

/// <summary>
/// A session with an Opus server over its HTTP API: UWS 1.1 under /rest, definitions under /jdl,
/// users through SCIM (/scim/v2) and /users/{name}/tokens, stored content under /store and
/// provenance under /provsap. Answers 400/403/404/409 become Core's exceptions with the server's message.
/// One file per area, as the server's Endpoints: Uws, Store, Definitions, Scim, Tokens, Provenance; Http is the transport.
/// </summary>
public sealed partial class RemoteOpusSession : IOpusSession
{
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
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Opus.Client", typeof(RemoteOpusSession).Assembly.GetName().Version?.ToString(3)));
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

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
