using System.Net;
using System.Text.Json.Nodes;
using Opus.Core.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>What an OPUS administrator's users and scripts rely on: the role "all", and GET /jdl/{name}/json.</summary>
public sealed class OpusMigrationTests(SignedInServerFixture fixture) : IClassFixture<SignedInServerFixture>
{
    [Fact]
    public async Task The_role_all_grants_every_definition_as_in_OPUS()
    {
        using var carol = await CreateUserAsync(fixture.Server, $"carol-{Guid.NewGuid().ToString("N")[..8]}", "all");

        Assert.Equal(["copy", "fail", "sleep"], (await carol.ListDefinitionNamesAsync()).Order(StringComparer.Ordinal));
        var job = await carol.CreateJobAsync("sleep", ("seconds", "0"));
        Assert.Contains(JobIdOf(job), (await carol.GetJobListAsync("sleep")).JobRefIds());
        Assert.Equal("copied", await RunCopyAsync(carol));
    }

    [Fact]
    public async Task A_definition_cannot_be_named_all()
    {
        using var response = await fixture.Admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/all", "name: all\nscript: echo\n");

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "'all'", "role");
    }

    [Fact]
    public async Task jdl_name_json_answers_OPUS_s_form_which_reads_back_as_the_same_definition()
    {
        using var response = await fixture.Alice.GetAsync("/jdl/copy/json");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        var content = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("copy", (string?)content["name"]);
        Assert.Equal(["text"], content["parameters_keys"]!.AsArray().Select(k => (string?)k));
        Assert.Equal("xs:string", (string?)content["parameters"]!["text"]!["datatype"]);
        Assert.Equal("true", (string?)content["parameters"]!["text"]!["required"]);
        Assert.Equal(["output"], content["generated_keys"]!.AsArray().Select(k => (string?)k));
        Assert.Equal("output.txt", (string?)content["generated"]!["output"]!["default"]);
        Assert.Contains("runId", content["control_parameters_keys"]!.AsArray().Select(k => (string?)k));

        // Opus reads OPUS's form too: the answer is the same definition.
        var served = await fixture.Alice.GetDefinitionAsync("copy");
        var read = DefinitionFormats.Read(body, "copy.json");
        Assert.Equal(DefinitionFormats.Write(served, DefinitionFormat.Yaml), DefinitionFormats.Write(read, DefinitionFormat.Yaml));
    }

    [Fact]
    public async Task jdl_name_json_keeps_the_roles_of_jdl_name()
    {
        using var response = await fixture.Bob.GetAsync("/jdl/sleep/json");

        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "sleep");
    }

    private static async Task<string> RunCopyAsync(HttpClient client)
    {
        var job = await client.CreateJobAsync("copy", ("text", "copied"));
        await client.RunToCompletionAsync(job);
        return await client.GetStringAsync($"{job}/results/output");
    }
}
