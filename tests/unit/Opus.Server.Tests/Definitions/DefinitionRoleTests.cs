using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>Definition roles: a user sees and runs only the definitions a role grants (bob: "copy"; alice: "*").</summary>
public sealed class DefinitionRoleTests(SignedInServerFixture fixture) : IClassFixture<SignedInServerFixture>
{
    private HttpClient Bob => fixture.Bob;

    [Fact]
    public async Task The_list_holds_only_the_definitions_a_role_grants()
    {
        Assert.Equal(["copy"], await Bob.ListDefinitionNamesAsync());
        Assert.Equal(["copy", "fail", "sleep"], (await fixture.Alice.ListDefinitionNamesAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(["copy", "fail", "sleep"], (await fixture.Admin.ListDefinitionNamesAsync()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/jdl/sleep")]
    [InlineData("/jdl/sleep?format=yaml")]
    [InlineData("/jdl/sleep?version=1.0")]
    [InlineData("/jdl/sleep/versions")]
    [InlineData("/jdl/sleep/script")]
    [InlineData("/rest/sleep")]
    public async Task Reading_a_definition_without_a_role_for_it_is_a_403(string path)
    {
        using var response = await Bob.GetAsync(path);
        await AssertRefusedAsync(response, HttpStatusCode.Forbidden, "sleep");
    }

    [Fact]
    public async Task A_job_of_a_definition_without_a_role_for_it_is_refused_and_one_with_a_role_runs()
    {
        using (var refused = await Bob.PostFormAsync("/rest/sleep", ("seconds", "1"), ("PHASE", "RUN")))
            await AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "sleep");
        Assert.Empty(await fixture.Admin.JobIdsAsync("sleep"));

        var job = await Bob.CreateJobAsync("copy", ("text", "bob's"));
        await Bob.RunToCompletionAsync(job);
        Assert.Equal("bob's", await Bob.GetStringAsync($"{job}/results/output"));
        Assert.Equal("bob", await Bob.GetTextAsync($"{job}/owner"));
    }
}
