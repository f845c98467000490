using System.Collections.Concurrent;
using System.Globalization;
using System.Net;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 (never another interface) that Opus downloads inputs from:
/// /files/NAME serves what <see cref="Put"/> stored (404 otherwise); /big?size=N sends N bytes with a
/// Content-Length, /chunked?size=N without one; /slow-headers?seconds=S answers after S seconds;
/// /slow-body?seconds=S sends its headers at once and then a byte every 200 ms for S seconds.
/// Every request is counted by path, so a test can tell whether Opus fetched something.
/// </summary>
public sealed class LocalFileServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private readonly Task _loop;

    private LocalFileServer(HttpListener listener, int port)
    {
        _listener = listener;
        BaseUrl = $"http://127.0.0.1:{port}";
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>http://127.0.0.1:PORT, without a trailing slash.</summary>
    public string BaseUrl { get; }

    public static LocalFileServer Start()
    {
        // The port is free when probed; another process may take it before HttpListener binds, so retry.
        for (var attempt = 0; ; attempt++)
        {
            var port = Infrastructure.OpusServer.FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new LocalFileServer(listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    /// <summary>Serves <paramref name="content"/> at /files/<paramref name="name"/>.</summary>
    public string Put(string name, byte[] content)
    {
        _files[name] = content;
        return $"{BaseUrl}/files/{name}";
    }

    /// <summary>How many requests reached <paramref name="path"/> (e.g. "/files/a.txt").</summary>
    public int Hits(string path) => _hits.GetValueOrDefault(path);

    public int TotalHits => _hits.Values.Sum();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath;
        _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        try
        {
            if (path.StartsWith("/files/", StringComparison.Ordinal) && _files.TryGetValue(path["/files/".Length..], out var file))
            {
                response.ContentType = "application/octet-stream";
                await WriteAsync(response, file);
            }
            else if (path == "/big")
            {
                await WriteAsync(response, new byte[Number(request, "size")]);
            }
            else if (path == "/chunked")
            {
                response.SendChunked = true;
                var remaining = Number(request, "size");
                var block = new byte[8192];
                while (remaining > 0)
                {
                    var n = Math.Min(block.Length, remaining);
                    await response.OutputStream.WriteAsync(block.AsMemory(0, n), _stop.Token);
                    remaining -= n;
                }

                response.Close();
            }
            else if (path == "/slow-headers")
            {
                await Task.Delay(TimeSpan.FromSeconds(Number(request, "seconds")), _stop.Token);
                await WriteAsync(response, "late"u8.ToArray());
            }
            else if (path == "/slow-body")
            {
                var seconds = Number(request, "seconds");
                response.ContentLength64 = seconds * 5;
                await response.OutputStream.FlushAsync(_stop.Token);
                for (var i = 0; i < seconds * 5; i++)
                {
                    await response.OutputStream.WriteAsync(new byte[] { (byte)'x' }, _stop.Token);
                    await response.OutputStream.FlushAsync(_stop.Token);
                    await Task.Delay(200, _stop.Token);
                }

                response.Close();
            }
            else
            {
                response.StatusCode = 404;
                await WriteAsync(response, "not here"u8.ToArray());
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Opus gave up on the request (time or size limit), or the server is stopping.
            try
            {
                response.Abort();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private async Task WriteAsync(HttpListenerResponse response, byte[] body)
    {
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body, _stop.Token);
        response.Close();
    }

    private static int Number(HttpListenerRequest request, string name) =>
        int.Parse(request.QueryString[name] ?? throw new InvalidOperationException($"?{name}= is missing"), CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
