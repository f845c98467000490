using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// The propose/publish workflow on a server where everyone signs in: a signed-in user proposes, an
/// admin publishes or withdraws; every version is kept and a job runs the version it was created with.
/// Each test works on its own definition name.
/// </summary>
public sealed class DefinitionVersionTests(SignedInServerFixture fixture) : IClassFixture<SignedInServerFixture>
{
    private const string V1Script = "printf '%s' \"$text\" > output.txt";
    private const string V2Script = "printf '%s [v2]' \"$text\" > output.txt";

    private HttpClient Admin => fixture.Admin;

    private HttpClient Alice => fixture.Alice;

    /// <summary>A copy-like definition; versions differ by their script.</summary>
    private static string Stamp(string name, string version, string script) => $$"""
        name: {{name}}
        version: "{{version}}"
        description: Write the text into output.txt.
        executionDuration: 60
        parameters:
          - name: text
            type: xs:string
            required: true
        generated:
          - name: output
            file: output.txt
            contentType: text/plain
        script: |
          {{script}}
        """;

    [Fact]
    public async Task A_proposal_is_current_only_once_an_admin_publishes_it_and_jobs_run_the_version_they_were_created_with()
    {
        const string name = "stamp-publish";
        var v1 = await Admin.ProposeAsync(name, Stamp(name, "1", V1Script), publish: true);
        Assert.Equal("published", (string?)v1["status"]);

        // A signed-in user proposes version 2: stored, but not current.
        using (var proposal = await Alice.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}", Stamp(name, "2", V2Script)))
        {
            var body = await proposal.Content.ReadAsStringAsync();
            Assert.True(proposal.StatusCode == HttpStatusCode.Created, $"{(int)proposal.StatusCode} {body}");
            Assert.Contains("\"status\":\"proposed\"", body);
            Assert.Equal($"/jdl/{name}", proposal.Headers.Location!.AbsolutePath);
            Assert.Equal("?version=2", proposal.Headers.Location.Query);
        }

        Assert.Equal("1", (await Alice.GetDefinitionAsync(name)).Version);
        var proposed = await Alice.GetDefinitionAsync(name, "2");
        Assert.Equal("2", proposed.Version);
        Assert.Equal(V2Script, proposed.Script.TrimEnd('\n'));
        Assert.Equal(V1Script, (await Alice.GetStringAsync($"/jdl/{name}/script")).TrimEnd('\n'));
        Assert.Equal(V2Script, (await Alice.GetStringAsync($"/jdl/{name}/script?version=2")).TrimEnd('\n'));
        var versions = await Alice.GetVersionsAsync(name);
        Assert.Equal(("published", true), versions["1"]);
        Assert.Equal(("proposed", false), versions["2"]);

        // Only an admin publishes, whether by the publish resource or by ?publish=true.
        using (var denied = await Alice.PostFormAsync($"/jdl/{name}/publish", ("version", "2")))
            await AssertRefusedAsync(denied, HttpStatusCode.Forbidden, "admin");
        using (var denied = await Alice.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}?publish=true", Stamp(name, "3", V2Script)))
            await AssertRefusedAsync(denied, HttpStatusCode.Forbidden, "admin");
        Assert.Equal(["1", "2"], (await Alice.GetVersionsAsync(name)).Keys.Order());
        Assert.Equal("1", (await Alice.GetDefinitionAsync(name)).Version);

        // A job created now is version 1's, even if it runs after version 2 is published.
        var before = await Alice.CreateJobAsync(name, ("text", "hello"));

        using (var published = await Admin.PostFormAsync($"/jdl/{name}/publish", ("version", "2")))
        {
            Assert.Equal(HttpStatusCode.SeeOther, published.StatusCode);
            Assert.Equal($"/jdl/{name}", published.Headers.Location!.AbsolutePath);
        }

        Assert.Equal("2", (await Alice.GetDefinitionAsync(name)).Version);
        versions = await Alice.GetVersionsAsync(name);
        Assert.Equal(("published", false), versions["1"]);
        Assert.Equal(("published", true), versions["2"]);

        var after = await Alice.CreateJobAsync(name, ("text", "hello"));
        await Alice.RunToCompletionAsync(before);
        await Alice.RunToCompletionAsync(after);
        Assert.Equal("hello", await Alice.GetStringAsync($"{before}/results/output"));
        Assert.Equal("hello [v2]", await Alice.GetStringAsync($"{after}/results/output"));
        Assert.Equal("1", await RecordedDefinitionVersionAsync(fixture.Server, JobIdOf(before)));
        Assert.Equal("2", await RecordedDefinitionVersionAsync(fixture.Server, JobIdOf(after)));

        // The job document says which version each job runs, in its (schema-valid) jobInfo.
        foreach (var (job, version) in new[] { (before, "1"), (after, "2") })
        {
            var document = await Alice.GetDocumentAsync(job);
            var info = document.Root!.Element(System.Xml.Linq.XName.Get("jobInfo", "http://www.ivoa.net/xml/UWS/v1.0"))!;
            var definition = Assert.Single(info.Elements(System.Xml.Linq.XName.Get("definition", "urn:uwscustom")));
            Assert.Equal(name, (string?)definition.Attribute("name"));
            Assert.Equal(version, (string?)definition.Attribute("version"));
        }
    }

    [Fact]
    public async Task A_version_never_changes_once_stored()
    {
        const string name = "stamp-fixed";
        await Admin.ProposeAsync(name, Stamp(name, "1", V1Script), publish: true);

        // The same content again is not a change: accepted, nothing new.
        var again = await Alice.ProposeAsync(name, Stamp(name, "1", V1Script));
        Assert.Equal("published", (string?)again["status"]);

        // Other content under the same version is refused, for users and admins alike.
        foreach (var client in new[] { Alice, Admin })
        {
            using var changed = await client.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}", Stamp(name, "1", V2Script));
            await AssertRefusedAsync(changed, HttpStatusCode.Forbidden, "version '1'", "other content");
        }

        Assert.Equal(V1Script, (await Alice.GetDefinitionAsync(name, "1")).Script.TrimEnd('\n'));
        Assert.Equal(["1"], (await Alice.GetVersionsAsync(name)).Keys);
    }

    [Fact]
    public async Task Concurrent_proposals_of_one_new_version_store_it_once_and_refuse_other_content_as_a_later_proposal_would()
    {
        const int Requests = 8;

        // The same content from every request (a user proposing, an admin publishing, at once): each is
        // the proposal that stored it or an unchanged repeat of it, so all succeed; one version, published.
        const string same = "stamp-race-same";
        var answers = await ProposeAtOnceAsync(Enumerable.Range(0, Requests).Select(i => i % 2 == 0
            ? (Admin, "/jdl?publish=true", Stamp(same, "1", V1Script), Content: "admin")
            : (Alice, "/jdl", Stamp(same, "1", V1Script), Content: "alice")));
        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.Created, $"{(int)a.Status} {a.Body}"));
        Assert.All(answers, a => Assert.Contains("\"version\":\"1\"", a.Body));
        Assert.All(answers.Where(a => a.Content == "admin"), a => Assert.Contains("\"status\":\"published\"", a.Body));
        Assert.Equal(["1"], (await Alice.GetVersionsAsync(same)).Keys);
        Assert.Equal(("published", true), (await Alice.GetVersionsAsync(same))["1"]);
        Assert.Equal(V1Script, (await Alice.GetDefinitionAsync(same)).Script.TrimEnd('\n'));

        // Two contents under one new version, half the requests each: the first stored wins; every
        // request with the other content is refused as a later proposal is (A_version_never_changes_once_stored).
        const string other = "stamp-race-other";
        answers = await ProposeAtOnceAsync(Enumerable.Range(0, Requests).Select(i =>
            (i % 4 == 0 ? Admin : Alice, "/jdl", Stamp(other, "1", i % 2 == 0 ? V1Script : V2Script), Content: i % 2 == 0 ? "v1" : "v2")));
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Created or HttpStatusCode.Forbidden, $"{(int)a.Status} {a.Body}"));
        var winner = Assert.Single(answers.Where(a => a.Status == HttpStatusCode.Created).Select(a => a.Content).Distinct());
        Assert.All(answers.Where(a => a.Content == winner), a => Assert.Equal(HttpStatusCode.Created, a.Status));
        foreach (var refused in answers.Where(a => a.Content != winner))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.DoesNotContain('\n', refused.Body.TrimEnd('\n'));
            Assert.Contains("version '1' of 'stamp-race-other' exists with other content", refused.Body);
        }

        Assert.Equal(["1"], (await Alice.GetVersionsAsync(other)).Keys);
        Assert.Equal(("proposed", false), (await Alice.GetVersionsAsync(other))["1"]);
        Assert.Equal(winner == "v1" ? V1Script : V2Script, (await Alice.GetDefinitionAsync(other, "1")).Script.TrimEnd('\n'));
    }

    /// <summary>Sends every proposal (POST /jdl) at the same moment; returns each answer with the request's label.</summary>
    private static async Task<List<(string Content, HttpStatusCode Status, string Body)>> ProposeAtOnceAsync(
        IEnumerable<(HttpClient Client, string Path, string Document, string Content)> proposals)
    {
        var list = proposals.ToList();
        // A connection for every request first, so that none waits for its TCP handshake in the race.
        await Task.WhenAll(list.Select(async p =>
        {
            using var warm = await p.Client.GetAsync("/health");
        }));
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = list.Select(async p =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, p.Path)
            {
                Content = new StringContent(p.Document, System.Text.Encoding.UTF8, "application/yaml"),
            };
            await go.Task;
            using var response = await p.Client.SendAsync(request);
            return (p.Content, response.StatusCode, await response.Content.ReadAsStringAsync());
        }).ToList();
        go.SetResult();
        var answers = await Task.WhenAll(sending);
        return answers.ToList();
    }

    [Fact]
    public async Task Only_admins_publish_and_withdraw_and_only_signed_in_callers_are_served()
    {
        const string name = "stamp-admin";
        await Admin.ProposeAsync(name, Stamp(name, "1", V1Script), publish: true);
        await Alice.ProposeAsync(name, Stamp(name, "2", V2Script));

        using (var publish = await Alice.PostFormAsync($"/jdl/{name}/publish", ("version", "2")))
            await AssertRefusedAsync(publish, HttpStatusCode.Forbidden, "admin");
        using (var delete = await Alice.DeleteAsync($"/jdl/{name}"))
            await AssertRefusedAsync(delete, HttpStatusCode.Forbidden, "admin");
        // bob has a role for copy only: he may not propose a version of this one either.
        using (var propose = await fixture.Bob.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}", Stamp(name, "3", V2Script)))
            await AssertRefusedAsync(propose, HttpStatusCode.Forbidden, name);
        Assert.Equal("1", (await Alice.GetDefinitionAsync(name)).Version);

        // Anonymous access is off: no credentials, no answer.
        using var nobody = new HttpClient { BaseAddress = fixture.Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        using (var list = await nobody.GetAsync("/jdl"))
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        using (var proposal = await nobody.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{name}", Stamp(name, "3", V2Script)))
            Assert.Equal(HttpStatusCode.Unauthorized, proposal.StatusCode);
        Assert.Equal(["1", "2"], (await Alice.GetVersionsAsync(name)).Keys.Order());
    }

    [Fact]
    public async Task A_withdrawn_definition_takes_no_new_jobs_and_its_jobs_keep_their_history()
    {
        const string name = "stamp-gone";
        await Admin.ProposeAsync(name, Stamp(name, "1", V1Script), publish: true);
        var job = await Alice.CreateJobAsync(name, ("text", "kept"));
        var done = await Alice.RunToCompletionAsync(job);
        var result = done.Results()["output"];

        using (var delete = await Admin.DeleteAsync($"/jdl/{name}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        Assert.DoesNotContain(name, await Alice.ListDefinitionNamesAsync());
        using (var get = await Alice.GetAsync($"/jdl/{name}"))
            await AssertRefusedAsync(get, HttpStatusCode.NotFound, name);
        using (var create = await Alice.PostFormAsync($"/rest/{name}", ("text", "new")))
            await AssertRefusedAsync(create, HttpStatusCode.NotFound, name);
        Assert.Equal([JobIdOf(job)], await Alice.JobIdsAsync(name));

        // The old job, its parameters and its result are still there; the version it ran stays readable.
        var kept = await Alice.GetXmlAsync(job);
        Assert.Equal("COMPLETED", kept.Phase());
        Assert.Equal("kept", await Alice.GetStringAsync($"{job}/parameters/text"));
        Assert.Equal("kept", await Alice.GetStringAsync($"{job}/results/output"));
        Assert.Equal((string?)result.Attribute(Custom + "sha256"), (string?)kept.Results()["output"].Attribute(Custom + "sha256"));
        Assert.Equal(V1Script, (await Alice.GetDefinitionAsync(name, "1")).Script.TrimEnd('\n'));
        Assert.Equal(("withdrawn", false), (await Alice.GetVersionsAsync(name))["1"]);

        using (var unknown = await Admin.DeleteAsync("/jdl/no-such-definition"))
            await AssertRefusedAsync(unknown, HttpStatusCode.NotFound, "no-such-definition");
    }

    [Fact]
    public async Task A_pending_job_of_a_withdrawn_definition_is_not_run_while_its_running_jobs_finish()
    {
        const string name = "stamp-withdrawn-pending";
        // The running job cannot end before the test lets it: its script waits for the test's gate file.
        using var gate = new Gate();
        await Admin.ProposeAsync(name, Stamp(name, "1", gate.WaitCommand() + "; " + V1Script), publish: true);
        var running = await Alice.CreateJobAsync(name, ("text", "running"), ("PHASE", "RUN"));
        await Alice.WaitForPhaseAsync(running, phase => phase == "EXECUTING", Eventually.Bound);
        var pending = await Alice.CreateJobAsync(name, ("text", "pending"));
        var other = await Alice.CreateJobAsync(name, ("text", "other"));

        using (var delete = await Admin.DeleteAsync($"/jdl/{name}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        // RUN is refused (owner and admin alike), with a one-line reason; the job stays PENDING.
        foreach (var client in new[] { Alice, Admin })
        {
            using var run = await client.PostFormAsync($"{pending}/phase", ("PHASE", "RUN"));
            await AssertRefusedAsync(run, HttpStatusCode.Forbidden, "withdrawn", name);
        }

        Assert.Equal("PENDING", await Alice.GetTextAsync($"{pending}/phase"));

        // Changing its parameters is harmless and allowed; it can still be aborted and deleted.
        using (var set = await Alice.PostFormAsync($"{pending}/parameters", ("text", "changed")))
            AssertSeeOther(set, Alice, pending);
        Assert.Equal("changed", await Alice.GetTextAsync($"{pending}/parameters/text"));
        Assert.Equal("PENDING", await Alice.GetTextAsync($"{pending}/phase"));
        using (var abort = await Alice.PostFormAsync($"{other}/phase", ("PHASE", "ABORT")))
            AssertSeeOther(abort, Alice, other);
        Assert.Equal("ABORTED", await Alice.GetTextAsync($"{other}/phase"));
        using (var deleted = await Alice.DeleteAsync(pending))
            Assert.Equal(HttpStatusCode.SeeOther, deleted.StatusCode);
        using (var gone = await Alice.GetAsync(pending))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        // The job that was already running, and still is, finishes with its result.
        Assert.Equal("EXECUTING", await Alice.GetTextAsync($"{running}/phase"));
        gate.Open();
        var done = await Alice.WaitForFinalPhaseAsync(running);
        Assert.True(done.Phase() == "COMPLETED", $"{running} ended {done.Phase()}: {done}");
        Assert.Equal("running", await Alice.GetStringAsync($"{running}/results/output"));
        Assert.Equal(new[] { JobIdOf(other), JobIdOf(running) }.Order(), (await Alice.JobIdsAsync(name)).Order());
    }
}
