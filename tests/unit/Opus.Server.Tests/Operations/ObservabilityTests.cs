using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Slurm;

namespace Opus.Server.Tests.Operations;

/// <summary>What an operator watches: JSON logs with an access log and an audit trail, health, metrics.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task Json_logs_carry_one_event_per_request_and_the_audit_trail_but_no_secret()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Logging:Console:FormatterName"] = "json" });
        using var admin = server.AdminClient();
        var user = AuthSteps.UniqueName("audited");
        await server.CreateUserAsync(user, "copy");
        using var issued = await admin.PostAsync($"/users/{user}/tokens", new FormUrlEncodedContent([new("name", "laptop")]));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var secret = JsonNode.Parse(await issued.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        using var asUser = server.ClientFor(user, secret);
        Assert.Equal(HttpStatusCode.OK, (await asUser.GetAsync("/rest/copy?code=query-secret-42")).StatusCode);
        var job = await asUser.CreateJobAsync("copy", ("text", "logged"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await asUser.WaitForFinalAsync(job)).Phase());
        var id = job[(job.LastIndexOf('/') + 1)..];

        var events = await Eventually.HoldsAsync(() => Task.FromResult(Events(server.Log)),
            all => all.Any(e => Is(e, "Opus.Audit", "Action", "job.phase") && State(e, "JobId") == id && State(e, "Phase") == "COMPLETED"),
            "the job's end in the audit trail");

        // The access log: the path without its query string, the status, the duration, the user.
        var request = events.Single(e => Is(e, "Opus.Requests", "Path", "/rest/copy") && State(e, "Method") == "GET" && State(e, "User") == user);
        Assert.Equal("200", State(request, "StatusCode"));
        Assert.True(double.Parse(State(request, "DurationMs")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
        Assert.Contains(events, e => Is(e, "Opus.Requests", "Path", job) && State(e, "Method") == "GET" && State(e, "StatusCode") == "200");

        // The audit trail: who was created, which token issued (by name), the job's creation and phases.
        Assert.Contains(events, e => Is(e, "Opus.Audit", "Action", "user.create") && State(e, "UserName") == user);
        Assert.Contains(events, e => Is(e, "Opus.Audit", "Action", "token.issue") && State(e, "UserName") == user && State(e, "TokenName") == "laptop");
        Assert.Contains(events, e => Is(e, "Opus.Audit", "Action", "job.create") && State(e, "JobId") == id && State(e, "Owner") == user && State(e, "Definition") == "copy");
        Assert.Contains(events, e => Is(e, "Opus.Audit", "Action", "job.phase") && State(e, "JobId") == id && State(e, "Phase") == "EXECUTING");

        Assert.DoesNotContain(secret, server.Log);
        Assert.DoesNotContain(OpusServer.AdminToken, server.Log);
        Assert.DoesNotContain("query-secret-42", server.Log);
    }

    [Fact]
    public async Task Health_live_and_ready_report_their_checks_and_ready_fails_below_the_free_space_threshold()
    {
        await using var server = await OpusServer.StartAsync();
        using (var live = await server.Client.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("Healthy", JsonNode.Parse(await live.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        }

        using (var ready = await server.Client.GetAsync("/health/ready"))
        {
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.True(ready.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal("Healthy", body["checks"]!["database"]!["status"]!.GetValue<string>());
            Assert.Equal("Healthy", body["checks"]!["store"]!["status"]!.GetValue<string>());
            Assert.Equal("Healthy", body["checks"]!["slurm"]!["status"]!.GetValue<string>());
            // Graphviz is installed on the test machines (the provenance tests draw with it).
            Assert.Equal("Healthy", body["checks"]!["graphviz"]!["status"]!.GetValue<string>());
        }

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);

        // No file system keeps 2^62 bytes free: ready says so, live does not care.
        await using var full = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Health:MinFreeBytes"] = (1L << 62).ToString() });
        using var notReady = await full.Client.GetAsync("/health/ready");
        var text = await notReady.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("Unhealthy", JsonNode.Parse(text)!["checks"]!["store"]!["status"]!.GetValue<string>());
        Assert.Contains("Opus:Health:MinFreeBytes", text);
        Assert.DoesNotContain(full.DataPath, text);
        Assert.Equal(HttpStatusCode.OK, (await full.Client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_off_by_default_and_count_jobs_by_definition_and_phase_when_enabled()
    {
        await using (var plain = await OpusServer.StartAsync())
            Assert.Equal(HttpStatusCode.NotFound, (await plain.Client.GetAsync("/metrics")).StatusCode);

        // One job at a time, so a second one waits QUEUED behind a long one.
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Metrics:Enabled"] = "true", ["Opus:MaxConcurrentJobs"] = "1" });
        var client = server.Client;
        var copy = await client.CreateJobAsync("copy", ("text", "measured"), ("PHASE", "RUN"));
        var fail = await client.CreateJobAsync("fail", ("message", "measured"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(copy)).Phase());
        Assert.Equal("ERROR", (await client.WaitForFinalAsync(fail)).Phase());

        // A job queued behind a long one, and a client blocked in WAIT, are counted while they wait.
        var sleeping = await client.CreateJobAsync("sleep", ("seconds", "600"), ("PHASE", "RUN"));
        await client.WaitForPhaseAsync(sleeping, "EXECUTING", Eventually.Bound);
        var queued = await client.CreateJobAsync("copy", ("text", "queued"), ("PHASE", "RUN"));
        var waiting = client.GetAsync($"{sleeping}?WAIT=60");
        await Eventually.HoldsAsync(() => ScrapeAsync(client), m => Value(m, "opus_uws_wait_clients") == 1 && Value(m, "opus_jobs_queued") == 1,
            "one WAIT client and one QUEUED job counted");
        Assert.Equal(HttpStatusCode.SeeOther, (await client.PostFormAsync($"{sleeping}/phase", ("PHASE", "ABORT"))).StatusCode);
        (await waiting).Dispose();
        Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(queued)).Phase());

        // A client of the event stream likewise.
        using (var stream = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/events"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            await Eventually.HoldsAsync(() => ScrapeAsync(client), m => Value(m, "opus_events_clients") == 1, "one event-stream client counted");
        }

        var metrics = await Eventually.HoldsAsync(() => ScrapeAsync(client),
            m => Value(m, "opus_jobs_finished_total", "definition=\"sleep\"", "phase=\"ABORTED\"") == 1 && Value(m, "opus_uws_wait_clients") == 0
                && Value(m, "opus_events_clients") == 0,
            "the aborted job counted, the WAIT and event-stream clients gone");
        Assert.Equal(2, Value(metrics, "opus_jobs_created_total", "definition=\"copy\""));
        Assert.Equal(1, Value(metrics, "opus_jobs_created_total", "definition=\"fail\""));
        Assert.Equal(2, Value(metrics, "opus_jobs_started_total", "definition=\"copy\""));
        Assert.Equal(2, Value(metrics, "opus_jobs_finished_total", "definition=\"copy\"", "phase=\"COMPLETED\""));
        Assert.Equal(1, Value(metrics, "opus_jobs_finished_total", "definition=\"fail\"", "phase=\"ERROR\""));
        Assert.Equal(2, Value(metrics, "opus_jobs_queue_wait_seconds_count", "definition=\"copy\""));
        Assert.Equal(2, Value(metrics, "opus_jobs_run_duration_seconds_count", "definition=\"copy\"", "phase=\"COMPLETED\""));
        Assert.Equal(1, Value(metrics, "opus_jobs_run_duration_seconds_count", "definition=\"sleep\"", "phase=\"ABORTED\""));
        Assert.Equal(0, Value(metrics, "opus_jobs_queued"));
        // The copy's output ("measured", 8 bytes) is in the store.
        Assert.True(Value(metrics, "opus_store_size_bytes") >= 8, "store size");
    }

    [Fact]
    public async Task Metrics_are_served_without_credentials_to_the_scrapers_networks_only_and_otherwise_to_admins()
    {
        // Loopback (the test's address) is no scraper network here.
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Metrics:Enabled", "true"), ("Opus:Metrics:AllowedNetworks:0", "192.0.2.0/24")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync("/metrics")).StatusCode);
        var user = AuthSteps.UniqueName("watcher");
        await server.CreateUserAsync(user, "copy");
        using (var asUser = server.ClientFor(await server.IssueTokenAsync(user)))
            Assert.Equal(HttpStatusCode.Forbidden, (await asUser.GetAsync("/metrics")).StatusCode);
        using (var admin = server.AdminClient())
            Assert.Contains("opus_jobs_queued", await admin.GetStringAsync("/metrics"), StringComparison.Ordinal);

        // By default loopback scrapes without credentials (as the metrics test above does).
        await using var local = await OpusServer.StartAsync(AuthSteps.Settings(("Opus:Metrics:Enabled", "true")));
        Assert.Equal(HttpStatusCode.OK, (await local.Client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task With_SLURM_ready_asks_the_controller_and_refused_submissions_are_counted()
    {
        await using var server = await SlurmCluster.StartServerAsync(new Dictionary<string, string>
        {
            ["Opus:Metrics:Enabled"] = "true",
            ["Opus:Slurm:Partition"] = "nosuchpartition",
        });
        using (var ready = await server.Client.GetAsync("/health/ready"))
        {
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.Equal("the controller answers", body["checks"]!["slurm"]!["description"]!.GetValue<string>());
        }

        var job = await server.Client.CreateJobAsync("copy", ("text", "x"), ("PHASE", "RUN"));
        Assert.Equal("ERROR", (await server.Client.WaitForFinalAsync(job)).Phase());
        await Eventually.HoldsAsync(() => ScrapeAsync(server.Client), m => Value(m, "opus_slurm_submission_errors_total") == 1, "the refused submission counted");

        // SLURM's commands where there are none: the controller does not answer, and the answer names no path.
        await using var lost = await SlurmCluster.StartServerAsync(new Dictionary<string, string> { ["Opus:Slurm:BinPath"] = "/nonexistent/slurm/bin" });
        using var notReady = await lost.Client.GetAsync("/health/ready");
        var text = await notReady.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("Unhealthy", JsonNode.Parse(text)!["checks"]!["slurm"]!["status"]!.GetValue<string>());
        Assert.DoesNotContain("/nonexistent", text);
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics: {(int)response.StatusCode} {text}");
        return text;
    }

    /// <summary>The value of the sample <paramref name="name"/> whose labels include all of <paramref name="labels"/>; null when absent.</summary>
    private static double? Value(string exposition, string name, params string[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var match = Regex.Match(line, @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)");
            if (match.Success && match.Groups["name"].Value == name && labels.All(l => match.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return null;
    }

    private static List<JsonNode> Events(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.StartsWith('{') ? JsonNode.Parse(line) : throw new Xunit.Sdk.XunitException($"not a JSON log line: {line}"))
            .OfType<JsonNode>().ToList();

    private static bool Is(JsonNode e, string category, string key, string value) =>
        e["Category"]?.GetValue<string>() == category && State(e, key) == value;

    private static string? State(JsonNode e, string key) => e["State"]?[key]?.ToString();
}
