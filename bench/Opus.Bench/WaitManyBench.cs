using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Opus.Bench;

/// <summary>
/// WAIT for a thousand clients: 1,000 WAIT=60&amp;PHASE=PENDING requests blocked on one PENDING job, then on 1,000
/// different PENDING jobs (one each); once the server counts them all as waiting (its opus_uws_wait_clients
/// gauge), the job(s) are sent PHASE=ABORT (a phase change without a process). Wake-up = from the moment that request
/// is sent to the moment each WAIT answer has arrived whole; for 1,000 jobs the ABORT requests go out one after the
/// other, each timed on its own.
/// </summary>
/// <remarks>
/// The waiters are 1,000 plain sockets (HTTP/1.1, kept alive from one round to the next), each with its own receive
/// pending: an answer is timed as its last bytes are received, with no HTTP client's parsing, buffering or connection
/// pool lock before it. The client shares the server's two cores, so its CPU time is reported next to the server's.
/// </remarks>
public static partial class WaitManyBench
{
    private const int Waiters = 1_000;
    private const int Rounds = 3;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    public static async Task RunAsync(ServerProcess server, Report report, CancellationToken cancellationToken)
    {
        var client = server.Client;
        var authorization = client.DefaultRequestHeaders.Authorization!.ToString();
        using var waiters = await WaiterSockets.ConnectAsync(server.BaseUri, authorization, Waiters, cancellationToken);

        Progress.Say($"WAIT: warm-up, rounds of {Waiters} waiters on one job");
        await WarmUp.UntilJitQuietAsync(server, async ct => await MeasureAsync(server, waiters, Enumerable.Repeat(await CreateAsync(client, "warm-up", ct), Waiters).ToArray(), ct), cancellationToken);

        Progress.Say($"WAIT: {Waiters} waiters on one job, {Rounds} rounds");
        var single = new List<Round>();
        for (var i = 0; i < Rounds; i++)
            single.Add(await MeasureAsync(server, waiters, Enumerable.Repeat(await CreateAsync(client, "wait many", cancellationToken), Waiters).ToArray(), cancellationToken));
        Add(report, $"WAIT wake-up, {Waiters:N0} waiters on one job (PENDING → ABORT)", single, "from sending PHASE=ABORT to each WAIT answer's arrival");

        Progress.Say($"WAIT: {Waiters} waiters on {Waiters} jobs, {Rounds} rounds");
        var many = new List<Round>();
        for (var i = 0; i < Rounds; i++)
        {
            var ids = new string[Waiters];
            for (var j = 0; j < Waiters; j++)
                ids[j] = await CreateAsync(client, $"wait many {j}", cancellationToken);
            many.Add(await MeasureAsync(server, waiters, ids, cancellationToken));
        }

        Add(report, $"WAIT wake-up, {Waiters:N0} waiters on {Waiters:N0} jobs (one each; ABORT sent one job after another)", many,
            "from sending that job's PHASE=ABORT to its WAIT answer's arrival");
    }

    private static void Add(Report report, string measurement, List<Round> rounds, string what)
    {
        var all = rounds.SelectMany(r => r.WakeUps).ToList();
        var perRound = string.Join(", ", rounds.Select(r => $"p95 {Report.Ms(Stats.P95(r.WakeUps))}"));
        var cpu = string.Join(", ", rounds.Select(r => $"{r.ServerCpu.TotalMilliseconds:0}/{r.ClientCpu.TotalMilliseconds:0}"));
        report.Add(measurement, $"p50 {Report.Ms(Stats.Median(all))}, p95 {Report.Ms(Stats.P95(all))}",
            $"{all.Count} woken in {rounds.Count} rounds ({perRound}); max {Report.Ms(all.DefaultIfEmpty(double.NaN).Max())}; {what}; " +
            $"CPU ms server/client per round, from the first ABORT to the last answer: {cpu}", "p95 under 20 ms", null, "-");
    }

    private static async Task<string> CreateAsync(HttpClient client, string text, CancellationToken cancellationToken) =>
        await Uws.CreateAsync(client, "copy", [new("text", text)], cancellationToken) ?? throw new InvalidOperationException("creation not answered 303");

    private sealed record Round(List<double> WakeUps, TimeSpan ServerCpu, TimeSpan ClientCpu);

    /// <summary>Blocks one WAIT per entry of <paramref name="jobs"/> (one per socket), aborts each distinct job in turn; wake-ups in ms.</summary>
    private static async Task<Round> MeasureAsync(ServerProcess server, WaiterSockets waiters, string[] jobs, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(Bound);
        var client = server.Client;
        // The gauge back at 0 first: /metrics answers may be a few hundred ms old (the exporter caches them), and one
        // that still counted the last round's waiters would let this round start before its own are all parked.
        while (await WaitingAsync(client, bound.Token) > 0)
            await Task.Delay(20, bound.Token);
        waiters.Send(jobs);

        // Every waiter parked in the server before anything changes (a look every 20 ms, bounded).
        while (await WaitingAsync(client, bound.Token) < jobs.Length)
            await Task.Delay(20, bound.Token);

        var clock = Stopwatch.StartNew();
        var receiving = waiters.ReceiveAsync(jobs.Length, clock, bound.Token);
        var sent = new Dictionary<string, double>(StringComparer.Ordinal);
        var serverCpu = server.CpuTime();
        var clientCpu = Process.GetCurrentProcess().TotalProcessorTime;
        foreach (var id in jobs.Distinct())
        {
            sent[id] = clock.Elapsed.TotalMilliseconds;
            using var abort = new FormUrlEncodedContent([new("PHASE", "ABORT")]);
            using var answer = await client.PostAsync($"/rest/copy/{id}/phase", abort, bound.Token);
            if (answer.StatusCode != HttpStatusCode.SeeOther)
                throw new InvalidOperationException("PHASE=ABORT not answered 303");
        }

        var arrived = await receiving;
        serverCpu = server.CpuTime() - serverCpu;
        clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpu;
        var wakeUps = jobs.Zip(arrived).Where(a => !double.IsNaN(a.Second)).Select(a => a.Second - sent[a.First]).ToList();
        return new Round(wakeUps, serverCpu, clientCpu);
    }

    /// <summary>The server's count of clients blocked in WAIT (its Prometheus gauge).</summary>
    private static async Task<double> WaitingAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var text = await client.GetStringAsync("/metrics", cancellationToken);
        return WaitClients().Match(text) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^opus_uws_wait_clients(?:\{[^}]*\})? ([0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex WaitClients();

    /// <summary>One kept-alive HTTP/1.1 connection per waiter; requests written whole, answers read concurrently.</summary>
    private sealed class WaiterSockets : IDisposable
    {
        private readonly Socket[] _sockets;
        private readonly Answer[] _answers;
        private readonly string _host;
        private readonly string _authorization;

        private WaiterSockets(Socket[] sockets, string host, string authorization)
        {
            (_sockets, _host, _authorization) = (sockets, host, authorization);
            _answers = sockets.Select(_ => new Answer()).ToArray();
        }

        public static async Task<WaiterSockets> ConnectAsync(Uri server, string authorization, int count, CancellationToken cancellationToken)
        {
            var sockets = new Socket[count];
            try
            {
                for (var i = 0; i < count; i++)
                {
                    sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await sockets[i].ConnectAsync(new IPEndPoint(IPAddress.Parse(server.Host), server.Port), cancellationToken);
                }
            }
            catch
            {
                foreach (var socket in sockets)
                    socket?.Dispose();
                throw;
            }

            return new WaiterSockets(sockets, server.Authority, authorization);
        }

        /// <summary>Writes the WAIT for <paramref name="jobs"/>[i] on connection i.</summary>
        public void Send(string[] jobs)
        {
            for (var i = 0; i < jobs.Length; i++)
            {
                var request = Encoding.ASCII.GetBytes($"GET /rest/copy/{jobs[i]}?WAIT=60&PHASE=PENDING HTTP/1.1\r\nHost: {_host}\r\nAuthorization: {_authorization}\r\n\r\n");
                _sockets[i].Send(request);
            }
        }

        /// <summary>When each connection's answer (status 200, whole body) arrived, in ms of <paramref name="clock"/>; NaN for another status or none.</summary>
        public Task<double[]> ReceiveAsync(int count, Stopwatch clock, CancellationToken cancellationToken) =>
            Task.WhenAll(_sockets.Take(count).Select((socket, i) => _answers[i].ReadAsync(socket, clock, cancellationToken)));

        public void Dispose()
        {
            foreach (var socket in _sockets)
                socket.Dispose();
        }
    }

    /// <summary>One HTTP/1.1 answer with a Content-Length at a time, read as it comes.</summary>
    private sealed class Answer
    {
        private byte[] _buffer = new byte[16 << 10];

        /// <summary>When the answer was whole (ms of <paramref name="clock"/>, taken as the last piece is received); NaN if not 200 or the connection closed.</summary>
        public async Task<double> ReadAsync(Socket socket, Stopwatch clock, CancellationToken cancellationToken)
        {
            var length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                var read = await socket.ReceiveAsync(_buffer.AsMemory(length), SocketFlags.None, cancellationToken);
                var now = clock.Elapsed.TotalMilliseconds;
                if (read == 0)
                    return double.NaN;
                length += read;
                if (Status(length) is { } status)
                    return status == 200 ? now : double.NaN;
            }
        }

        // The status once the answer is whole (headers and Content-Length bytes of body), else null.
        private int? Status(int length)
        {
            var text = Encoding.ASCII.GetString(_buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
                return null;
            var lengthHeader = ContentLength().Match(text[..end]);
            if (!lengthHeader.Success)
                throw new InvalidOperationException($"a WAIT answer without Content-Length: {text[..end]}");
            if (length < end + 4 + int.Parse(lengthHeader.Groups[1].Value, CultureInfo.InvariantCulture))
                return null;
            return int.Parse(text.AsSpan(9, 3), CultureInfo.InvariantCulture);
        }
    }

    [GeneratedRegex(@"\r\ncontent-length: *([0-9]+)", RegexOptions.IgnoreCase)]
    private static partial Regex ContentLength();
}
