using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// Definitions are checked when imported (every problem in one line, nothing stored) and job
/// parameters when a job is created and whenever a parameter changes. Anonymous callers read but
/// do not propose, publish or delete.
/// </summary>
public sealed class DefinitionValidationTests(SampleServerFixture fixture) : IClassFixture<SampleServerFixture>
{
    /// <summary>Six mistakes at once: each must be reported.</summary>
    private const string Broken = """
        name: broken
        version: "1"
        parameters:
          - name: count
            type: xs:integer-ish
          - name: level
            type: xs:int
            default: "50"
            min: "0"
            max: "10"
          - name: color
            type: xs:string
            default: purple
            options: [red, green]
          - name: level
            type: xs:double
        generated:
          - name: out
            contentType: text/plain
        script: "   "
        """;

    /// <summary>The same mistakes in JSON.</summary>
    private const string BrokenJson = """
        {
          "name": "broken",
          "version": "1",
          "parameters": [
            { "name": "count", "type": "xs:integer-ish" },
            { "name": "level", "type": "xs:int", "default": "50", "min": "0", "max": "10" },
            { "name": "color", "type": "xs:string", "default": "purple", "options": ["red", "green"] },
            { "name": "level", "type": "xs:double" }
          ],
          "generated": [ { "name": "out", "contentType": "text/plain" } ],
          "script": "   "
        }
        """;

    /// <summary>A valid definition with options and bounds, for the job parameter checks.</summary>
    private const string Pick = """
        name: pick
        version: "1"
        parameters:
          - name: color
            type: xs:string
            default: red
            options: [red, green]
          - name: size
            type: xs:int
            default: "5"
            min: "1"
            max: "10"
        generated:
          - name: choice
            file: choice.txt
        script: |
          printf '%s %s' "$color" "$size" > choice.txt
        """;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_broken_definition_is_a_400_listing_every_problem_and_nothing_is_stored()
    {
        using var admin = fixture.Server.AdminClient();
        using var multipart = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(BrokenJson)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }, "file", "broken.json" },
        };
        var attempts = new Func<Task<HttpResponseMessage>>[]
        {
            () => admin.SendDefinitionAsync(HttpMethod.Post, "/jdl", Broken),
            () => admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/broken?publish=true", Broken),
            () => admin.PostAsync("/jdl", multipart),
        };

        foreach (var send in attempts)
        {
            using var response = await send();
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest,
                "unknown datatype 'xs:integer-ish'",
                "parameters[1] (level).default",
                "parameters[2] (color).default",
                "duplicate name 'level'",
                "generated[0] (out).file",
                "script: must not be empty");
        }

        using (var get = await Client.GetAsync("/jdl/broken"))
            await AssertRefusedAsync(get, HttpStatusCode.NotFound, "broken");
        using (var versions = await Client.GetAsync("/jdl/broken/versions"))
            await AssertRefusedAsync(versions, HttpStatusCode.NotFound, "broken");
        Assert.DoesNotContain("broken", await Client.ListDefinitionNamesAsync());
    }

    [Fact]
    public async Task Malformed_or_mismatched_documents_are_400s()
    {
        using var admin = fixture.Server.AdminClient();
        using (var empty = await admin.SendDefinitionAsync(HttpMethod.Post, "/jdl", "  \n"))
            await AssertRefusedAsync(empty, HttpStatusCode.BadRequest, "definition");
        using (var yaml = await admin.SendDefinitionAsync(HttpMethod.Post, "/jdl", "name: [unclosed\n"))
            await AssertRefusedAsync(yaml, HttpStatusCode.BadRequest, "line");
        using (var mismatch = await admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/other-name", Pick.Replace("name: pick", "name: mismatch")))
            await AssertRefusedAsync(mismatch, HttpStatusCode.BadRequest, "mismatch", "other-name");
        using (var get = await Client.GetAsync("/jdl/mismatch"))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Job_parameters_are_checked_at_creation_and_at_every_change()
    {
        using var admin = fixture.Server.AdminClient();
        await admin.ProposeAsync("pick", Pick, publish: true);

        foreach (var (field, value) in new[] { ("color", "blue"), ("size", "11"), ("size", "0"), ("size", "many"), ("shape", "round") })
        {
            using var refused = await Client.PostFormAsync("/rest/pick", (field, value));
            await AssertRefusedAsync(refused, HttpStatusCode.BadRequest, field);
        }

        Assert.Empty(await Client.JobIdsAsync("pick"));

        var job = await Client.CreateJobAsync("pick", ("color", "green"));
        // Each way of changing a parameter checks the new value; a refused change leaves the old one.
        var changes = new (string How, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("POST to the job", () => Client.PostFormAsync(job, ("size", "42"))),
            ("POST to parameters", () => Client.PostFormAsync($"{job}/parameters", ("color", "purple"))),
            ("POST to the parameter", () => Client.PostFormAsync($"{job}/parameters/size", ("VALUE", "-1"))),
            ("PUT the parameter", () => Client.PutTextAsync($"{job}/parameters/size", "3.5")),
            ("POST an unknown parameter", () => Client.PostFormAsync($"{job}/parameters", ("shape", "round"))),
        };
        foreach (var (how, send) in changes)
        {
            using var response = await send();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{how}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal("green", await Client.GetTextAsync($"{job}/parameters/color"));
        Assert.Equal("5", await Client.GetTextAsync($"{job}/parameters/size"));

        using (var accepted = await Client.PutTextAsync($"{job}/parameters/size", "7"))
            AssertSeeOther(accepted, Client, job);
        await Client.RunToCompletionAsync(job);
        Assert.Equal("green 7", await Client.GetStringAsync($"{job}/results/choice"));
    }

    [Fact]
    public async Task Anonymous_callers_read_definitions_but_do_not_propose_publish_or_delete()
    {
        var anonymous = Client;
        Assert.Contains("copy", await anonymous.ListDefinitionNamesAsync());
        var copy = Sample("copy");

        using (var post = await anonymous.SendDefinitionAsync(HttpMethod.Post, "/jdl", Pick.Replace("name: pick", "name: anonymous-pick")))
            await AssertRefusedAsync(post, HttpStatusCode.Forbidden, "sign in");
        using (var put = await anonymous.SendDefinitionAsync(HttpMethod.Put, "/jdl/copy", DefinitionFile("copy").Replace("version: \"1.0\"", "version: \"2.0\"")))
            await AssertRefusedAsync(put, HttpStatusCode.Forbidden, "sign in");
        using (var publish = await anonymous.PostFormAsync("/jdl/copy/publish", ("version", "1.0")))
            await AssertRefusedAsync(publish, HttpStatusCode.Forbidden, "admin");
        using (var delete = await anonymous.DeleteAsync("/jdl/copy"))
            await AssertRefusedAsync(delete, HttpStatusCode.Forbidden, "admin");

        Assert.Equal(Canonical(copy), Canonical(await anonymous.GetDefinitionAsync("copy")));
        Assert.Equal(["1.0"], (await anonymous.GetVersionsAsync("copy")).Keys);
        using (var get = await anonymous.GetAsync("/jdl/anonymous-pick"))
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);

        // The admin may do each of these.
        using var admin = fixture.Server.AdminClient();
        var created = await admin.ProposeAsync("admin-pick", Pick.Replace("name: pick", "name: admin-pick"), publish: true);
        Assert.Equal("published", (string?)created["status"]);
        Assert.Contains("admin-pick", await anonymous.ListDefinitionNamesAsync());
        using (var delete = await admin.DeleteAsync("/jdl/admin-pick"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.DoesNotContain("admin-pick", await anonymous.ListDefinitionNamesAsync());
    }

    private static string DefinitionFile(string name) =>
        File.ReadAllText(Path.Combine(OpusServer.RepositoryRoot, "definitions", $"{name}.yaml"));
}
