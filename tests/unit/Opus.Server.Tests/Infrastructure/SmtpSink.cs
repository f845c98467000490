using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>One message as the SMTP server received it: the envelope's recipients, the decoded subject and text.</summary>
public sealed record ReceivedMail(IReadOnlyList<string> To, string Subject, string Body);

/// <summary>
/// A real SMTP server for the mail tests: Debian's aiosmtpd (python3-aiosmtpd) on a free loopback port, writing
/// each message it accepts to a folder as JSON (recipients, subject and body decoded by Python's email package).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Script = """
        import email, email.policy, json, os, sys, threading, uuid
        from aiosmtpd.controller import Controller

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
                body = message.get_body(preferencelist=('plain',))
                path = os.path.join(sys.argv[2], uuid.uuid4().hex)
                with open(path + '.tmp', 'w') as f:
                    json.dump({'to': envelope.rcpt_tos, 'subject': str(message['subject']), 'body': body.get_content() if body else ''}, f)
                os.rename(path + '.tmp', path + '.json')
                return '250 OK'

        controller = Controller(Handler(), hostname='127.0.0.1', port=int(sys.argv[1]))
        controller.start()
        print('ready', flush=True)
        sys.stdin.read()
        controller.stop()
        """;

    private readonly Process _process;
    private readonly string _folder;

    private SmtpSink(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpSink> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("opus-smtp-").FullName;
        var script = Path.Combine(folder, "sink.py");
        var inbox = Directory.CreateDirectory(Path.Combine(folder, "inbox")).FullName;
        await File.WriteAllTextAsync(script, Script);
        var port = FreePort();
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(inbox);
        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        using var ready = new CancellationTokenSource(Eventually.Bound);
        var line = await process.StandardOutput.ReadLineAsync(ready.Token);
        if (line != "ready")
            throw new InvalidOperationException($"the SMTP sink did not start: {line} {await process.StandardError.ReadToEndAsync(ready.Token)}");
        return new SmtpSink(process, inbox, port);
    }

    /// <summary>Every message received so far.</summary>
    public IReadOnlyList<ReceivedMail> Messages =>
        Directory.GetFiles(_folder, "*.json").Select(file => JsonNode.Parse(File.ReadAllText(file))!)
            .Select(m => new ReceivedMail(m["to"]!.AsArray().Select(t => t!.GetValue<string>()).ToList(), m["subject"]!.GetValue<string>(), m["body"]!.GetValue<string>()))
            .ToList();

    /// <summary>Waits for a message that <paramref name="matches"/>.</summary>
    public async Task<ReceivedMail> ReceivesAsync(Func<ReceivedMail, bool> matches, string what) =>
        (await Eventually.HoldsAsync(() => Task.FromResult(Messages), all => all.Any(matches), what)).First(matches);

    /// <summary>A loopback port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);
    }
}
