using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Client.Tests;

/// <summary>The endpoints the client adds over HTTP: /me, the paged /jobs, /events (only the caller's jobs), /status, /jdl/check.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ClientApiTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Jobs_are_paged_sorted_and_counted_for_the_caller_only()
    {
        var (user, token) = await NewUserAsync();
        using var client = Bearer(token);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(Id(await client.CreateJobAsync("copy", ("text", $"page {i}"), ("RUNID", $"page-{i}"))));
        await fixture.Server.AdminClient().CreateJobAsync("copy", ("text", "the admin's"));

        using var me = JsonDocument.Parse(await client.GetStringAsync("/me"));
        Assert.Equal(user, me.RootElement.GetProperty("userName").GetString());
        Assert.False(me.RootElement.GetProperty("admin").GetBoolean());

        // Newest first; jobs created in the same millisecond (the creation time's precision) by their id.
        using var all = JsonDocument.Parse(await client.GetStringAsync("/jobs?definition=copy&limit=3"));
        var newest = all.RootElement.GetProperty("jobs").EnumerateArray()
            .Select(j => (Id: j.GetProperty("id").GetString()!, Created: j.GetProperty("creationTime").GetString()!)).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), newest.Select(j => j.Id).Order(StringComparer.Ordinal));
        Assert.Equal(newest.OrderByDescending(j => j.Created, StringComparer.Ordinal).ThenByDescending(j => j.Id, StringComparer.Ordinal), newest);

        using var first = JsonDocument.Parse(await client.GetStringAsync("/jobs?definition=copy&limit=2"));
        Assert.Equal(3, first.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(3, first.RootElement.GetProperty("counts").GetProperty("PENDING").GetInt32());
        Assert.Equal(newest.Take(2).Select(j => j.Id), first.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!));
        using var second = JsonDocument.Parse(await client.GetStringAsync("/jobs?limit=2&offset=2"));
        Assert.Equal([newest[2].Id], second.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()!));
        using var oldest = JsonDocument.Parse(await client.GetStringAsync("/jobs?limit=1&order=asc&phase=PENDING"));
        Assert.Equal(newest[2].Id, oldest.RootElement.GetProperty("jobs")[0].GetProperty("id").GetString());

        using var bad = await client.GetAsync("/jobs?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var status = await client.GetAsync("/status");
        Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        using var anonymous = await new HttpClient { BaseAddress = fixture.Server.BaseUri }.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_event_stream_carries_the_callers_job_changes_and_no_one_elses()
    {
        var (_, token) = await NewUserAsync();
        using var client = Bearer(token);
        using var stream = Bearer(token);
        // Bounds for a machine whose load average is 10; each read returns as soon as a line comes.
        stream.Timeout = TimeSpan.FromSeconds(150);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var response = await stream.GetAsync("/events?definition=copy", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);
        // The first event says the stream is subscribed and carries the reconnection delay.
        Assert.Equal(["event: ready", "data: {}", "retry: 2000"], await ReadEventAsync(reader, timeout.Token));

        // Someone else's job first: it must not show up before the caller's own.
        await fixture.Server.AdminClient().CreateJobAsync("copy", ("text", "not yours"), ("PHASE", "RUN"));
        var mine = Id(await client.CreateJobAsync("copy", ("text", "yours"), ("PHASE", "RUN")));
        var phases = new List<string>();
        while (!phases.Contains("COMPLETED"))
        {
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the stream ended");
            if (!line.StartsWith("data: {\"id\"", StringComparison.Ordinal))
                continue;
            using var change = JsonDocument.Parse(line["data: ".Length..]);
            Assert.Equal(mine, change.RootElement.GetProperty("id").GetString());
            phases.Add(change.RootElement.GetProperty("phase").GetString()!);
        }

        // Changes reported by two threads at once (the runner's callback and its events file) may
        // arrive in either order; the client reads the job again on each, so only the set matters.
        Assert.Equal("PENDING", phases[0]);
        Assert.Subset(new HashSet<string> { "PENDING", "QUEUED", "EXECUTING", "COMPLETED" }, phases.ToHashSet());
    }

    [Fact]
    public async Task A_silent_event_stream_sends_a_keepalive_event_with_empty_data()
    {
        var (_, token) = await NewUserAsync();
        using var stream = Bearer(token);
        stream.Timeout = TimeSpan.FromSeconds(150);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        // A definition no job is of: nothing but the keep-alive comes after "ready" (one every 15 s of silence).
        using var response = await stream.GetAsync("/events?definition=no-such-definition", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.True(response.Headers.CacheControl?.NoStore);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);
        Assert.Equal("ready", (await ReadEventAsync(reader, timeout.Token))[0]["event: ".Length..]);
        Assert.Equal(["event: keepalive", "data: "], await ReadEventAsync(reader, timeout.Token));
    }

    /// <summary>The lines of the stream's next event, up to the blank line that ends it.</summary>
    private static async Task<List<string>> ReadEventAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 } line)
            lines.Add(line);
        return lines;
    }

    [Fact]
    public async Task A_definition_is_checked_and_converted_without_being_stored()
    {
        var admin = fixture.Server.AdminClient();
        using var yaml = new StringContent("name: checked\nversion: '1'\nscript: echo hi\n", Encoding.UTF8, "application/yaml");
        using var converted = await admin.PostAsync("/jdl/check?format=json", yaml);
        Assert.Equal(HttpStatusCode.OK, converted.StatusCode);
        Assert.Contains("\"name\": \"checked\"", await converted.Content.ReadAsStringAsync());
        using var stored = await admin.GetAsync("/jdl/checked");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);

        using var broken = new StringContent("{\"name\": \"x\", \"version\": \"1\", \"script\": \"\"}", Encoding.UTF8, "application/json");
        using var refused = await admin.PostAsync("/jdl/check", broken);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("script", await refused.Content.ReadAsStringAsync());
    }

    private async Task<(string User, string Token)> NewUserAsync()
    {
        var name = $"api{Guid.NewGuid():N}"[..12];
        var admin = fixture.Server.AdminClient();
        var body = $$"""{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "{{name}}", "roles": [{"value": "*"}]}""";
        using (var created = await admin.PostAsync("/scim/v2/Users", new StringContent(body, Encoding.UTF8, "application/scim+json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var issued = await admin.PostFormAsync($"/users/{name}/tokens", ("name", "test"));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        using var json = JsonDocument.Parse(await issued.Content.ReadAsStringAsync());
        return (name, json.RootElement.GetProperty("token").GetString()!);
    }

    private HttpClient Bearer(string token)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = fixture.Server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static string Id(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];
}
