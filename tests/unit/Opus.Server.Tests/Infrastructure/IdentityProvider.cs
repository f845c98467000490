using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>
/// A real OpenID Provider process: panva's certified oidc-provider (tests/idp/server.mjs, pinned in
/// tests/idp/package.json) on 127.0.0.1, with one confidential client (client_secret_basic or
/// client_secret_post, authorization code with PKCE S256), keys made at start and password-less
/// sign-in: any login signs in, "deny" is refused with error=access_denied.
/// </summary>
/// <remarks>
/// The Opus server needs the issuer in its configuration and the provider needs the server's redirect
/// URI, so pick the provider's port first (<see cref="OpusServer.FreePort"/>), start the server with
/// <c>http://127.0.0.1:{port}</c> as its issuer (it reads discovery lazily), then start the provider.
/// </remarks>
public sealed partial class IdentityProvider : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = Eventually.Bound;

    private readonly StringBuilder _log = new();
    private readonly Process _process;
    private readonly string[] _redirectUris;

    private IdentityProvider(Process process, int port, string clientId, string clientSecret, string[] redirectUris)
    {
        _process = process;
        Port = port;
        ClientId = clientId;
        ClientSecret = clientSecret;
        _redirectUris = redirectUris;
        Issuer = $"http://127.0.0.1:{port}";
    }

    public int Port { get; }

    /// <summary><c>http://127.0.0.1:{Port}</c>, exactly as in discovery and in the tokens' <c>iss</c>.</summary>
    public string Issuer { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    public IReadOnlyList<string> RedirectUris => _redirectUris;

    /// <summary>What the provider wrote to stdout and stderr.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Starts the provider on <paramref name="port"/> and waits (at most 30 s) until it listens.</summary>
    public static async Task<IdentityProvider> StartAsync(int port, string clientId, string clientSecret, params string[] redirectUris)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        if (redirectUris.Length == 0)
            throw new ArgumentException("at least one redirect URI is needed", nameof(redirectUris));

        var folder = Path.Combine(OpusServer.RepositoryRoot, "tests", "idp");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "oidc-provider")))
            throw new InvalidOperationException($"{Path.Combine(folder, "node_modules")} is missing: run npm ci in tests/idp (scripts/test.sh does)");

        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add("server.mjs");
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--client-id");
        start.ArgumentList.Add(clientId);
        start.ArgumentList.Add("--client-secret");
        start.ArgumentList.Add(clientSecret);
        foreach (var uri in redirectUris)
        {
            start.ArgumentList.Add("--redirect-uri");
            start.ArgumentList.Add(uri);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"node (Node.js 20) is needed for the identity provider: {e.Message}", e);
        }

        var provider = new IdentityProvider(process, port, clientId, clientSecret, [.. redirectUris]);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            provider.Append(e.Data);
            if (e.Data == "ready")
                ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var first = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(StartTimeout));
        if (first == ready.Task)
            return provider;

        var reason = process.HasExited
            ? $"the identity provider exited with {process.ExitCode}"
            : $"the identity provider did not print \"ready\" within {StartTimeout.TotalSeconds:0} s";
        await provider.DisposeAsync();
        throw new InvalidOperationException($"{reason}:\n{provider.Log}");
    }

    /// <summary>
    /// Signs in as <paramref name="login"/> the way a fresh browser would: requests
    /// <paramref name="authorizationUrl"/> and follows the provider's redirects, login page (form "login",
    /// field "login") and consent page (form "consent"), with cookies of its own and no session from an
    /// earlier call. Returns the final redirect to a registered redirect URI (with <c>code</c>,
    /// <c>state</c> and <c>iss</c>, or with <c>error</c>) without requesting it.
    /// </summary>
    public async Task<Uri> SignInAsync(Uri authorizationUrl, string login, CancellationToken ct = default)
    {
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = true,
            CookieContainer = new CookieContainer(),
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var trail = new StringBuilder();
        var uri = authorizationUrl;
        HttpContent? content = null;
        for (var step = 0; step < 12; step++)
        {
            using var request = new HttpRequestMessage(content is null ? HttpMethod.Get : HttpMethod.Post, uri) { Content = content };
            trail.Append(request.Method).Append(' ').Append(uri).AppendLine();
            using var response = await client.SendAsync(request, ct);
            content = null;

            if ((int)response.StatusCode is >= 300 and < 400)
            {
                var location = response.Headers.Location
                    ?? throw Failure($"{(int)response.StatusCode} without a Location", trail);
                location = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if (IsRedirectUri(location))
                    return location;
                if (!location.GetLeftPart(UriPartial.Authority).Equals(Issuer, StringComparison.Ordinal))
                    throw Failure($"redirected neither to the provider nor to a registered redirect URI: {location}", trail);
                uri = location;
                continue;
            }

            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.OK)
                throw Failure($"{(int)response.StatusCode} {response.StatusCode}: {Text(body)}", trail);

            if (FindForm(body, "login") is { } loginForm)
            {
                var fields = loginForm.Fields;
                fields["login"] = login;
                (uri, content) = (new Uri(uri, loginForm.Action), new FormUrlEncodedContent(fields));
            }
            else if (FindForm(body, "consent") is { } consentForm)
            {
                (uri, content) = (new Uri(uri, consentForm.Action), new FormUrlEncodedContent(consentForm.Fields));
            }
            else
            {
                throw Failure($"a page with neither a login nor a consent form: {Text(body)}", trail);
            }
        }

        throw Failure("no redirect to the client after 12 steps", trail);
    }

    private bool IsRedirectUri(Uri location)
    {
        var target = location.GetLeftPart(UriPartial.Path);
        return _redirectUris.Any(registered =>
            Uri.TryCreate(registered, UriKind.Absolute, out var r) && r.GetLeftPart(UriPartial.Path) == target);
    }

    private InvalidOperationException Failure(string message, StringBuilder trail) =>
        new($"sign-in at the identity provider failed: {message}\nrequests:\n{trail}provider log:\n{Log}");

    private sealed record Form(string Action, Dictionary<string, string> Fields);

    private static Form? FindForm(string html, string id)
    {
        foreach (Match form in FormPattern().Matches(html))
        {
            var tag = form.Groups["tag"].Value;
            if (Attribute(tag, "id") != id)
                continue;
            var action = Attribute(tag, "action")
                ?? throw new InvalidOperationException($"the form \"{id}\" has no action");
            var fields = new Dictionary<string, string>();
            foreach (Match input in InputPattern().Matches(form.Groups["body"].Value))
            {
                if (Attribute(input.Value, "type") == "hidden" && Attribute(input.Value, "name") is { } name)
                    fields[name] = Attribute(input.Value, "value") ?? "";
            }

            return new Form(action, fields);
        }

        return null;
    }

    private static string? Attribute(string tag, string name)
    {
        var match = AttributePattern().Matches(tag).FirstOrDefault(m => m.Groups["name"].Value.Equals(name, StringComparison.OrdinalIgnoreCase));
        return match is null ? null : WebUtility.HtmlDecode(match.Groups["value"].Value);
    }

    // The page's text, for error messages.
    private static string Text(string html) => WhitespacePattern().Replace(TagPattern().Replace(html, " "), " ").Trim();

    [GeneratedRegex(@"<form\b(?<tag>[^>]*)>(?<body>.*?)</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormPattern();

    [GeneratedRegex(@"<input\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputPattern();

    [GeneratedRegex(@"(?<name>[a-zA-Z-]+)\s*=\s*""(?<value>[^""]*)""")]
    private static partial Regex AttributePattern();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespacePattern();

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>Kills the provider (and anything it started) and waits, at most 10 s, for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or not gone in time: nothing more to do from here.
        }

        _process.Dispose();
    }
}
