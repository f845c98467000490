using System.Net;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Client;

/// <summary>A server without anonymous access, alice (copy, sleep) and bob (copy), for the job list's filters and zips.</summary>
public sealed class JobListFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Alice { get; private set; } = null!;

    public HttpClient Bob { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(AuthSteps.Settings());
        await Server.CreateUserAsync("alice", "copy", "sleep", "zip-pair", "zip-big");
        await Server.CreateUserAsync("bob", "copy");
        Admin = Server.AdminClient();
        Alice = Server.ClientFor(await Server.IssueTokenAsync("alice", "main"));
        Bob = Server.ClientFor(await Server.IssueTokenAsync("bob", "main"));
        foreach (var yaml in new[] { ResultsZipTests.PairYaml, ResultsZipTests.BigYaml })
        {
            using var published = await Admin.PostAsync("/jdl?publish=true", new StringContent(yaml));
            Assert.True(published.IsSuccessStatusCode, $"publishing a definition: {(int)published.StatusCode} {await published.Content.ReadAsStringAsync()}");
        }
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// GET /jobs's filters over HTTP against a running server: run ID (exact and prefix), parameter value,
/// several phases, owner (admins only), creation time; combined with AND; bad values a one-line 400.
/// Each test tags its jobs with a run ID prefix of its own, so the tests do not see each other's jobs.
/// </summary>
public sealed class JobListFilterTests(JobListFixture fixture) : IClassFixture<JobListFixture>
{
    [Fact]
    public async Task Run_ID_filters_find_the_exact_one_or_every_one_starting_with_the_prefix()
    {
        var tag = Tag();
        var a1 = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-a-1")));
        var a2 = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-a-2")));
        var b1 = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-b-1")));
        // Case matters: a run ID that differs only in case is another run ID.
        var upper = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-A-3")));

        Assert.Equal([a1], await IdsAsync(fixture.Alice, $"runId={tag}-a-1"));
        Assert.Equal(await NewestFirstAsync(fixture.Alice, $"runIdPrefix={tag}", a2, a1), await IdsAsync(fixture.Alice, $"runIdPrefix={tag}-a-"));
        Assert.Equal(await NewestFirstAsync(fixture.Alice, $"runIdPrefix={tag}", upper, b1, a2, a1), await IdsAsync(fixture.Alice, $"runIdPrefix={tag}"));
        Assert.Empty(await IdsAsync(fixture.Alice, $"runId={tag}-a-"));
        Assert.Equal(Enumerable.Reverse(await NewestFirstAsync(fixture.Alice, $"runIdPrefix={tag}", a2, a1)), await IdsAsync(fixture.Alice, $"runIdPrefix={tag}-a-&order=asc"));
    }

    [Fact]
    public async Task A_run_ID_prefix_takes_percent_and_underscore_literally()
    {
        var tag = Tag();
        var percent = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-50%_a")));
        var other = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "x"), ("RUNID", $"{tag}-50xya")));

        // As LIKE patterns, "%" and "_" would match the other run ID too.
        Assert.Equal([percent], await IdsAsync(fixture.Alice, $"runIdPrefix={Uri.EscapeDataString($"{tag}-50%_")}"));
        Assert.Empty(await IdsAsync(fixture.Alice, $"runIdPrefix={Uri.EscapeDataString($"{tag}-5_")}"));
        Assert.Equal(await NewestFirstAsync(fixture.Alice, $"runIdPrefix={tag}", other, percent), await IdsAsync(fixture.Alice, $"runIdPrefix={tag}-50"));
    }

    [Fact]
    public async Task A_parameter_value_finds_its_jobs_and_follows_a_change_of_the_parameter()
    {
        var tag = Tag();
        var red = Id(await fixture.Alice.CreateJobAsync("copy", ("text", $"red {tag}"), ("RUNID", tag)));
        var blue = Id(await fixture.Alice.CreateJobAsync("copy", ("text", $"blue {tag}"), ("RUNID", tag)));
        var longText = new string('z', 5000) + tag;
        var long1 = Id(await fixture.Alice.CreateJobAsync("copy", ("text", longText), ("RUNID", tag)));

        Assert.Equal([red], await IdsAsync(fixture.Alice, $"param=text={Uri.EscapeDataString($"red {tag}")}"));
        // The name is matched whatever its case; the value exactly, long or not.
        Assert.Equal([blue], await IdsAsync(fixture.Alice, $"param=TEXT={Uri.EscapeDataString($"blue {tag}")}"));
        Assert.Equal([long1], await IdsAsync(fixture.Alice, $"param=text={longText}"));
        Assert.Empty(await IdsAsync(fixture.Alice, $"param=text=red"));

        // A PENDING job's parameter changes (UWS 9.2): the filter finds the new value, not the old.
        using (var changed = await fixture.Alice.PostFormAsync($"/rest/copy/{red}", ("text", $"green {tag}")))
            Assert.Equal(HttpStatusCode.SeeOther, changed.StatusCode);
        Assert.Empty(await IdsAsync(fixture.Alice, $"param=text={Uri.EscapeDataString($"red {tag}")}"));
        Assert.Equal([red], await IdsAsync(fixture.Alice, $"param=text={Uri.EscapeDataString($"green {tag}")}"));
    }

    [Fact]
    public async Task Several_phases_creation_times_and_every_filter_together_narrow_the_list()
    {
        var tag = Tag();
        var first = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "one"), ("RUNID", $"{tag}-1")));
        var done = Id(await fixture.Alice.CreateCompletedCopyJobAsync("two"));
        var aborted = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "three"), ("RUNID", $"{tag}-3")));
        using (var abort = await fixture.Alice.PostFormAsync($"/rest/copy/{aborted}/phase", ("PHASE", "ABORT")))
            Assert.Equal(HttpStatusCode.SeeOther, abort.StatusCode);
        var last = Id(await fixture.Alice.CreateJobAsync("copy", ("text", "four"), ("RUNID", $"{tag}-4")));

        Assert.Equal([last, first], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&phase=PENDING"));
        Assert.Equal([last, aborted, first], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&phase=PENDING&phase=ABORTED"));
        var completed = await PageAsync(fixture.Alice, $"phase=COMPLETED&limit=1000");
        Assert.Contains(done, IdsOf(completed));
        Assert.All(completed["jobs"]!.AsArray(), j => Assert.Equal("COMPLETED", j!["phase"]!.GetValue<string>()));

        // From is inclusive, to exclusive: the window from the third job's creation to the fourth's holds the third only.
        var times = (await PageAsync(fixture.Alice, $"runIdPrefix={tag}&order=asc"))["jobs"]!.AsArray().ToDictionary(j => j!["id"]!.GetValue<string>(), j => j!["creationTime"]!.GetValue<string>());
        Assert.Equal([aborted], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&createdFrom={times[aborted]}&createdTo={times[last]}"));
        Assert.Equal([last, aborted], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&createdFrom={times[aborted]}"));
        Assert.Equal([first], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&createdTo={times[aborted]}"));
        // A date alone: from its midnight, to the end of that day (UTC).
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([last, aborted, first], await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&createdFrom={today}&createdTo={today}"));
        Assert.Empty(await IdsAsync(fixture.Alice, $"runIdPrefix={tag}&createdTo={today}T00:00:00Z"));

        // Everything at once, and the counts per phase follow the filters (all but the phase).
        var all = await PageAsync(fixture.Alice, $"definition=copy&runIdPrefix={tag}&param=text=three&phase=ABORTED&createdFrom={times[first]}&owner=alice");
        Assert.Equal([aborted], IdsOf(all));
        Assert.Equal(1, all["total"]!.GetValue<int>());
        Assert.Equal(1, all["counts"]!["ABORTED"]!.GetValue<int>());
        Assert.Equal(0, all["counts"]!["PENDING"]!.GetValue<int>());
        Assert.Equal(2, (await PageAsync(fixture.Alice, $"runIdPrefix={tag}&phase=ABORTED"))["counts"]!["PENDING"]!.GetValue<int>());
    }

    [Fact]
    public async Task Only_admins_filter_by_another_owner_and_no_filter_shows_another_users_jobs()
    {
        var tag = Tag();
        var alices = Id(await fixture.Alice.CreateJobAsync("copy", ("text", tag), ("RUNID", tag)));
        var bobs = Id(await fixture.Bob.CreateJobAsync("copy", ("text", tag), ("RUNID", tag)));

        Assert.Equal([alices], await IdsAsync(fixture.Alice, $"runId={tag}"));
        Assert.Equal([bobs], await IdsAsync(fixture.Bob, $"param=text={tag}"));
        Assert.Equal([bobs], await IdsAsync(fixture.Bob, $"runId={tag}&owner=bob"));
        await AssertRefusedAsync(fixture.Bob, $"runId={tag}&owner=alice", HttpStatusCode.Forbidden, "only admins");

        Assert.Equal(await NewestFirstAsync(fixture.Admin, $"runId={tag}", bobs, alices), await IdsAsync(fixture.Admin, $"runId={tag}"));
        Assert.Equal([alices], await IdsAsync(fixture.Admin, $"runId={tag}&owner=alice"));
        Assert.Equal([bobs], await IdsAsync(fixture.Admin, $"param=text={tag}&owner=bob"));
        Assert.Empty(await IdsAsync(fixture.Admin, $"runId={tag}&owner=nobody"));
    }

    [Theory]
    [InlineData("phase=DONE", "phase")]
    [InlineData("createdFrom=yesterday", "createdFrom")]
    [InlineData("createdTo=2026-13-40", "createdTo")]
    [InlineData("createdFrom=2026-12-02&createdTo=2026-12-01T00:00:00Z", "createdFrom")]
    [InlineData("param=text", "param")]
    [InlineData("param==value", "param")]
    [InlineData("limit=0", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("runId=a&runId=b", "runId")]
    public async Task A_bad_filter_is_a_one_line_400(string query, string named) =>
        await AssertRefusedAsync(fixture.Alice, query, HttpStatusCode.BadRequest, named);

    private static async Task AssertRefusedAsync(HttpClient client, string query, HttpStatusCode expected, string mentioned)
    {
        using var response = await client.GetAsync($"/jobs?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"/jobs?{query}: {(int)response.StatusCode} {body}");
        var detail = JsonNode.Parse(body)!["detail"]!.GetValue<string>();
        Assert.Contains(mentioned, detail);
        Assert.DoesNotContain('\n', detail);
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain(" at ", body);
    }

    internal static string Tag() => $"t{Guid.NewGuid():N}"[..17];

    internal static string Id(string jobPath) => jobPath[(jobPath.LastIndexOf('/') + 1)..];

    internal static async Task<JsonNode> PageAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/jobs?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/jobs?{query}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static List<string> IdsOf(JsonNode page) => page["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()).ToList();

    private static async Task<List<string>> IdsAsync(HttpClient client, string query) => IdsOf(await PageAsync(client, query));

    /// <summary>
    /// The jobs, made one after the other (the last made first), in the order the list gives them: newest first by
    /// creation time, which is kept to the millisecond, and jobs of one millisecond by id.
    /// </summary>
    private static async Task<List<string>> NewestFirstAsync(HttpClient client, string query, params string[] createdLastFirst)
    {
        var times = (await PageAsync(client, query))["jobs"]!.AsArray()
            .ToDictionary(j => j!["id"]!.GetValue<string>(), j => DateTime.Parse(j!["creationTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        // Made one after the other: no job's time is before an earlier one's.
        Assert.Equal(createdLastFirst, createdLastFirst.OrderByDescending(id => times[id]).ThenBy(id => Array.IndexOf(createdLastFirst, id)));
        return createdLastFirst.OrderByDescending(id => times[id]).ThenByDescending(id => id, StringComparer.Ordinal).ToList();
    }
}
