using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Edge;

/// <summary>
/// deploy/nginx/opus.conf with Debian's nginx in front of a real server: the shipped file with only its ports,
/// certificate paths and upstream changed, on loopback ports of the test's own, with a certificate made here.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NginxTests : IAsyncLifetime
{
    private const string Nginx = "/usr/sbin/nginx";
    private readonly string _folder = Directory.CreateTempSubdirectory("opus-nginx-").FullName;
    private readonly X509Certificate2 _certificate = Certificates.SelfSigned("opus-nginx");
    private OpusServer _server = null!;
    private Process? _nginx;
    private int _port;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Nginx), "nginx is not installed (Debian package nginx; scripts/test.sh installs it)");
        _server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:PathBase", "/opus"),
            ("Opus:Proxy:KnownProxies:0", "127.0.0.1"),
            ("Opus:Metrics:Enabled", "true"),
            ("Opus:Auth:MaxFailures", "3"),
            ("Opus:Auth:FailureWindow", "01:00:00")));

        var certificatePath = Path.Combine(_folder, "fullchain.pem");
        var keyPath = Path.Combine(_folder, "privkey.pem");
        Certificates.WritePem(_certificate, certificatePath, keyPath);
        _port = OpusServer.FreePort();
        var shipped = await File.ReadAllTextAsync(Path.Combine(OpusServer.RepositoryRoot, "deploy", "nginx", "opus.conf"));
        var site = Substitute(shipped, new()
        {
            ["listen 80;"] = $"listen 127.0.0.1:{OpusServer.FreePort()};",
            ["listen 443 ssl;"] = $"listen 127.0.0.1:{_port} ssl;",
            ["/etc/letsencrypt/live/opus.example.org/fullchain.pem"] = certificatePath,
            ["/etc/letsencrypt/live/opus.example.org/privkey.pem"] = keyPath,
            ["server 127.0.0.1:8080;"] = $"server 127.0.0.1:{_server.Port};",
        });
        await File.WriteAllTextAsync(Path.Combine(_folder, "opus.conf"), site);
        // The rest of what /etc/nginx/nginx.conf would give, inside the test's folder.
        var temporary = Directory.CreateDirectory(Path.Combine(_folder, "temp")).FullName;
        File.SetUnixFileMode(temporary, (UnixFileMode)0b111_111_111);
        await File.WriteAllTextAsync(Path.Combine(_folder, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{_folder}}/nginx.pid;
            error_log {{_folder}}/error.log warn;
            events { worker_connections 64; }
            http {
                access_log {{_folder}}/access.log;
                client_body_temp_path {{temporary}}/body;
                proxy_temp_path {{temporary}}/proxy;
                fastcgi_temp_path {{temporary}}/fastcgi;
                uwsgi_temp_path {{temporary}}/uwsgi;
                scgi_temp_path {{temporary}}/scgi;
                include {{_folder}}/opus.conf;
            }
            """);

        var start = new ProcessStartInfo(Nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", _folder, "-c", Path.Combine(_folder, "nginx.conf") })
            start.ArgumentList.Add(argument);
        _nginx = Process.Start(start)!;
        await Eventually.HoldsAsync(() => Certificates.PresentedAsync(_port), seen => _nginx.HasExited
            ? throw new Xunit.Sdk.XunitException($"nginx exited: {_nginx.StandardError.ReadToEnd()} {ErrorLog()}")
            : seen == _certificate.Thumbprint, "nginx serving the test's certificate");
    }

    [Fact]
    public async Task Through_nginx_a_job_is_created_waited_for_and_downloaded_with_https_links_under_opus_and_events_stream()
    {
        using var client = Client("127.0.0.2", "admin", OpusServer.AdminToken);
        await using var events = await EventStream.OpenAsync(client, "/opus/events");

        using var created = await client.PostAsync("/opus/rest/copy", new FormUrlEncodedContent([new("text", "Hello, sky"), new("PHASE", "RUN")]));
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var job = created.Headers.Location!.OriginalString;
        Assert.Matches($"^https://127\\.0\\.0\\.1:{_port}/opus/rest/copy/[0-9a-z]{{26}}$", job);
        var id = job[(job.LastIndexOf('/') + 1)..];

        // The stream passes each event on as it happens: this job's creation and phases arrive while it is open.
        await events.UntilAsync(line => line.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal) && line.Contains("\"phase\":\"COMPLETED\"", StringComparison.Ordinal), "the job's COMPLETED event through nginx");

        // WAIT through the proxy, until the job is final.
        var document = await client.WaitForFinalAsync(job);
        Assert.Equal("COMPLETED", document.Phase());
        var result = document.Descendants(UwsSchema.Uws + "result").Single(r => r.Attribute("id")?.Value == "output");
        var href = result.Attribute(UwsSchema.Xlink + "href")!.Value;
        Assert.StartsWith($"https://127.0.0.1:{_port}/opus/", href, StringComparison.Ordinal);
        Assert.Equal("Hello, sky", await client.GetStringAsync(href));

        // The job list links under the prefix too.
        var list = XDocument.Parse(await client.GetStringAsync("/opus/rest/copy"));
        Assert.Contains(list.Descendants(UwsSchema.Uws + "jobref"), r => r.Attribute(UwsSchema.Xlink + "href")?.Value == job);

        // An upload larger than nginx's 1 MB default reaches Opus (client_max_body_size): Opus answers, not nginx's 413.
        using var upload = new MultipartFormDataContent { { new StringContent("with an upload"), "text" }, { new ByteArrayContent(new byte[3 << 20]), "notes", "notes.bin" } };
        using var uploaded = await client.PostAsync("/opus/rest/copy", upload);
        var answer = await uploaded.Content.ReadAsStringAsync();
        Assert.True(uploaded.StatusCode is HttpStatusCode.SeeOther or HttpStatusCode.BadRequest && !answer.Contains("nginx", StringComparison.Ordinal),
            $"a 3 MB upload through nginx: {(int)uploaded.StatusCode} {answer}");
    }

    [Fact]
    public async Task Through_nginx_one_clients_failed_sign_ins_lock_out_that_client_only()
    {
        using var failing = Client("127.0.0.3", "admin", "opus_wrongwrongwrongwrongwrongwrongw");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await failing.StatusOfAsync("/opus/rest"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await failing.StatusOfAsync("/opus/rest"));

        // Another client, through the same nginx, is not locked out, with a wrong token or the right one.
        using var otherWrong = Client("127.0.0.4", "admin", "opus_wrongwrongwrongwrongwrongwrongw");
        Assert.Equal(HttpStatusCode.Unauthorized, await otherWrong.StatusOfAsync("/opus/rest"));
        using var other = Client("127.0.0.4", "admin", OpusServer.AdminToken);
        Assert.Equal(HttpStatusCode.OK, await other.StatusOfAsync("/opus/rest"));
        // And the valid token is accepted from the locked-out client too.
        using var right = Client("127.0.0.3", "admin", OpusServer.AdminToken);
        Assert.Equal(HttpStatusCode.OK, await right.StatusOfAsync("/opus/rest"));
        Assert.Contains("127.0.0.3", await File.ReadAllTextAsync(Path.Combine(_folder, "access.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_not_served_through_nginx_but_to_a_local_scraper()
    {
        using var outside = Client("127.0.0.5", "admin", OpusServer.AdminToken);
        Assert.Equal(HttpStatusCode.Forbidden, await outside.StatusOfAsync("/opus/metrics"));
        using var scraper = new HttpClient { BaseAddress = _server.BaseUri };
        Assert.Contains("opus_jobs_queued", await scraper.GetStringAsync("/opus/metrics"), StringComparison.Ordinal);
    }

    /// <summary>A client of nginx from the loopback address <paramref name="from"/>, trusting the test's certificate.</summary>
    private HttpClient Client(string from, string user, string token)
    {
        var thumbprint = _certificate.Thumbprint;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{token}")));
        return client;
    }

    private static string Substitute(string text, Dictionary<string, string> replacements)
    {
        foreach (var (from, to) in replacements)
        {
            Assert.True(text.Contains(from, StringComparison.Ordinal), $"deploy/nginx/opus.conf no longer has '{from}'");
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return text;
    }

    private string ErrorLog() => File.Exists(Path.Combine(_folder, "error.log")) ? File.ReadAllText(Path.Combine(_folder, "error.log")) : "";

    public async Task DisposeAsync()
    {
        if (_nginx is { HasExited: false })
        {
            // SIGKILL on the master leaves its worker behind: a QUIT for both, through nginx's own signal.
            using var stop = Process.Start(new ProcessStartInfo(Nginx) { ArgumentList = { "-p", _folder, "-c", Path.Combine(_folder, "nginx.conf"), "-s", "stop" }, UseShellExecute = false, RedirectStandardError = true })!;
            await stop.WaitForExitAsync();
            using var bound = new CancellationTokenSource(Eventually.Bound);
            await _nginx.WaitForExitAsync(bound.Token);
        }

        _nginx?.Dispose();
        await _server.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>An open text/event-stream whose lines are read in the background.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _lines = [];
        private Task _reading = Task.CompletedTask;

        private EventStream(HttpResponseMessage response) => _response = response;

        public static async Task<EventStream> OpenAsync(HttpClient client, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("text/event-stream");
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stream = new EventStream(response);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
            // The first event arrives before any job changes: nothing holds it back.
            using var opening = new CancellationTokenSource(Eventually.Bound);
            Assert.Equal("event: ready", await reader.ReadLineAsync(opening.Token));
            Assert.Equal("data: {}", await reader.ReadLineAsync(opening.Token));
            Assert.Equal("retry: 2000", await reader.ReadLineAsync(opening.Token));
            Assert.Equal("", await reader.ReadLineAsync(opening.Token));
            stream._reading = Task.Run(async () =>
            {
                try
                {
                    while (await reader.ReadLineAsync(stream._stop.Token) is { } line)
                    {
                        lock (stream._lines)
                            stream._lines.Add(line);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                {
                }
            });
            return stream;
        }

        public Task UntilAsync(Func<string, bool> wanted, string what) =>
            Eventually.HoldsAsync(() =>
            {
                lock (_lines)
                    return Task.FromResult(_lines.Any(wanted));
            }, seen => seen, what);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reading;
            _stop.Dispose();
        }
    }
}
