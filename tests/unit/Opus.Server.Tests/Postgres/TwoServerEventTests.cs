using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Opus.Server.Tests.Postgres;

/// <summary>
/// The web client's event stream (GET /events) on one server process carries the job changes made by
/// the other process on the same PostgreSQL database, and still only to those who may see them.
/// </summary>
public sealed class TwoServerEventTests(TwoServersFixture fixture, ITestOutputHelper output) : IClassFixture<TwoServersFixture>
{
    private static readonly TimeSpan Bound = Eventually.Bound;

    private OpusServer First => fixture.First;

    private OpusServer Second => fixture.Second;

    [Fact]
    public async Task The_event_stream_of_one_server_shows_creation_phases_and_deletion_of_a_job_on_the_other()
    {
        var (user, token) = await NewUserAsync("watcher");
        await using var stream = await EventStream.OpenAsync(First.ClientFor(user, token));
        using var onSecond = Second.ClientFor(user, token);

        var job = await onSecond.CreateJobAsync("copy", ("text", "seen from the other server"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var done = await onSecond.WaitForEndAsync(job, Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
        using (var deleted = await onSecond.DeleteAsync(job))
            Assert.True(deleted.StatusCode == HttpStatusCode.SeeOther, $"DELETE {job}: {(int)deleted.StatusCode}");

        var events = await stream.WaitForAsync(e => e.Any(x => x.Id == id && x.Deleted), Bound);
        var mine = events.Where(e => e.Id == id).ToList();
        output.WriteLine(string.Join('\n', mine.Select(e => $"{e.Phase ?? "deleted"} at {e.At:HH:mm:ss.fff}, on the first server after {(e.Arrived - e.At).TotalMilliseconds:0} ms")));

        Assert.Equal("PENDING", mine[0].Phase);
        Assert.Contains(mine, e => e.Phase == "EXECUTING");
        Assert.Contains(mine, e => e.Phase == "COMPLETED");
        Assert.True(mine[^1].Deleted, "the deletion is not the last event");
        Assert.All(mine, e => Assert.Equal("copy", e.Definition));
        // Each change once: relayed, never echoed back and forth.
        Assert.Equal(mine.Count, mine.Select(e => (e.Phase, e.Deleted)).Distinct().Count());

        var latencies = mine.Select(e => (e.Arrived - e.At).TotalMilliseconds).Order().ToList();
        output.WriteLine($"change on the second server to the first server's stream: median {latencies[latencies.Count / 2]:0} ms, max {latencies[^1]:0} ms ({latencies.Count} events)");
        foreach (var server in new[] { First, Second })
            Assert.DoesNotContain("Job change notification", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_event_stream_of_one_server_shows_no_one_elses_jobs_from_the_other()
    {
        var (alice, aliceToken) = await NewUserAsync("alice");
        var (bob, bobToken) = await NewUserAsync("bob");
        await using var aliceStream = await EventStream.OpenAsync(First.ClientFor(alice, aliceToken));
        // The admin sees every job: proof that bob's changes did reach the first server.
        await using var adminStream = await EventStream.OpenAsync(First.AdminClient());
        using var bobOnSecond = Second.ClientFor(bob, bobToken);
        using var aliceOnSecond = Second.ClientFor(alice, aliceToken);

        var bobs = await bobOnSecond.CreateJobAsync("copy", ("text", "bob's"), ("PHASE", "RUN"));
        var bobsId = JobSteps.JobId(bobs);
        Assert.Equal("COMPLETED", (await bobOnSecond.WaitForEndAsync(bobs, Bound)).Phase());
        using (var deleted = await bobOnSecond.DeleteAsync(bobs))
            Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);

        // Then one of alice's own: the second server sends its changes in order, so once alice sees hers
        // end, bob's (made before) would have reached her stream already.
        var hers = await aliceOnSecond.CreateJobAsync("copy", ("text", "alice's"), ("PHASE", "RUN"));
        var hersId = JobSteps.JobId(hers);
        Assert.Equal("COMPLETED", (await aliceOnSecond.WaitForEndAsync(hers, Bound)).Phase());
        using (var deleted = await aliceOnSecond.DeleteAsync(hers))
            Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);

        var adminSaw = await adminStream.WaitForAsync(e => e.Any(x => x.Id == bobsId && x.Deleted) && e.Any(x => x.Id == hersId && x.Deleted), Bound);
        Assert.Contains(adminSaw, e => e.Id == bobsId && e.Phase == "COMPLETED");
        var aliceSaw = await aliceStream.WaitForAsync(e => e.Any(x => x.Id == hersId && x.Deleted), Bound);
        Assert.Contains(aliceSaw, e => e.Id == hersId && e.Phase == "COMPLETED");
        Assert.DoesNotContain(aliceSaw, e => e.Id == bobsId);
        Assert.All(aliceSaw, e => Assert.Equal(hersId, e.Id));
    }

    private async Task<(string User, string Token)> NewUserAsync(string prefix)
    {
        // One database: a user made through the first server signs in on the second as well.
        var name = AuthSteps.UniqueName(prefix);
        await First.CreateUserAsync(name, "*");
        var token = await First.IssueTokenAsync(name);
        return (name, token.Secret);
    }

    /// <summary>One job event of the stream, and when this test read it.</summary>
    private sealed record JobEvent(string Id, string Definition, string? Phase, bool Deleted, DateTime At, DateTime Arrived);

    /// <summary>GET /events read in the background; every wait on it is bounded.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<JobEvent> _events = [];
        private readonly SemaphoreSlim _arrived = new(0);
        private Task _reading = Task.CompletedTask;
        private Exception? _failure;

        private EventStream(HttpClient client, HttpResponseMessage response)
        {
            _client = client;
            _response = response;
        }

        /// <summary>Opens the stream and returns once the server subscribed it (its "ready" event).</summary>
        public static async Task<EventStream> OpenAsync(HttpClient client)
        {
            client.Timeout = Timeout.InfiniteTimeSpan;
            using var opening = new CancellationTokenSource(Eventually.Bound);
            var response = await client.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead, opening.Token);
            var stream = new EventStream(client, response);
            try
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
                var reader = new StreamReader(await response.Content.ReadAsStreamAsync(opening.Token), Encoding.UTF8);
                Assert.Equal("event: ready", await reader.ReadLineAsync(opening.Token));
                Assert.Equal("data: {}", await reader.ReadLineAsync(opening.Token));
                Assert.Equal("retry: 2000", await reader.ReadLineAsync(opening.Token));
                Assert.Equal("", await reader.ReadLineAsync(opening.Token));
                stream._reading = Task.Run(() => stream.ReadAsync(reader));
                return stream;
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }
        }

        private async Task ReadAsync(StreamReader reader)
        {
            try
            {
                string? kind = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        kind = line["event: ".Length..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind == "job")
                    {
                        var arrived = DateTime.UtcNow;
                        using var json = JsonDocument.Parse(line["data: ".Length..]);
                        var data = json.RootElement;
                        var change = new JobEvent(
                            data.GetProperty("id").GetString()!,
                            data.GetProperty("definition").GetString()!,
                            data.GetProperty("phase").GetString(),
                            data.GetProperty("deleted").GetBoolean(),
                            DateTime.Parse(data.GetProperty("at").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
                            arrived);
                        lock (_events)
                            _events.Add(change);
                        _arrived.Release();
                    }
                    else if (line.Length == 0)
                    {
                        kind = null;
                    }
                }

                _failure = new InvalidOperationException("the event stream ended");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _failure = e;
            }
            finally
            {
                _arrived.Release();
            }
        }

        /// <summary>The events so far, once <paramref name="until"/> holds of them; fails when it does not within <paramref name="timeout"/>.</summary>
        public async Task<IReadOnlyList<JobEvent>> WaitForAsync(Func<IReadOnlyList<JobEvent>, bool> until, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                List<JobEvent> seen;
                lock (_events)
                    seen = [.. _events];
                if (until(seen))
                    return seen;
                Assert.True(_failure is null, $"reading the event stream failed: {_failure}");
                var left = timeout - clock.Elapsed;
                Assert.True(left > TimeSpan.Zero,
                    $"not seen within {timeout.TotalSeconds} s; the stream had:\n{string.Join('\n', seen.Select(e => $"{e.Id} {e.Phase ?? "deleted"}"))}");
                await _arrived.WaitAsync(left);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            _client.Dispose();
            await _reading.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
            _arrived.Dispose();
        }
    }
}
