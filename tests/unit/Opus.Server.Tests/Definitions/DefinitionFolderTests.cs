using System.Net;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// The definitions folder (Opus:DefinitionsPath) at every start: it only adds what the catalog does not
/// know. A version already stored, whatever an admin did with it since, is never changed by a restart.
/// Each test has a server of its own, killed and started again on the same data.
/// </summary>
public sealed class DefinitionFolderTests
{
    private static readonly string Samples = Path.Combine(OpusServer.RepositoryRoot, "definitions");

    [Fact]
    public async Task A_sample_withdrawn_by_an_admin_stays_withdrawn_after_a_restart()
    {
        await using var server = await OpusServer.StartAsync();
        using var admin = server.AdminClient();
        var client = server.Client;
        using (var delete = await admin.DeleteAsync("/jdl/sleep"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);

        await server.KillAsync();
        await server.RestartAsync();

        using (var get = await client.GetAsync("/jdl/sleep"))
            await AssertRefusedAsync(get, HttpStatusCode.NotFound, "sleep");
        using (var create = await client.PostFormAsync("/rest/sleep", ("seconds", "0")))
            await AssertRefusedAsync(create, HttpStatusCode.NotFound, "sleep");
        Assert.Equal(("withdrawn", false), Assert.Single(await client.GetVersionsAsync("sleep")).Value);
        Assert.Contains("Definition sleep version 1.0 in the folder was withdrawn by an admin; not published again", server.Log);

        // The other samples are there as before.
        Assert.Equal(["copy", "fail"], (await client.ListDefinitionNamesAsync()).Order());
        Assert.Equal(Canonical(Sample("copy")), Canonical(await client.GetDefinitionAsync("copy")));
        await client.RunToCompletionAsync(await client.CreateJobAsync("copy", ("text", "still here")));
    }

    [Fact]
    public async Task A_restart_adds_and_publishes_a_new_version_from_the_folder_and_leaves_stored_versions_as_they_are()
    {
        var folder = Directory.CreateTempSubdirectory("opus-definitions-").FullName;
        try
        {
            foreach (var name in new[] { "copy", "fail", "sleep" })
                File.Copy(Path.Combine(Samples, $"{name}.yaml"), Path.Combine(folder, $"{name}.yaml"));
            await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:DefinitionsPath"] = folder });
            using var admin = server.AdminClient();
            var client = server.Client;

            // sleep withdrawn; version 2 of copy proposed, not published; then the folder changes:
            // sleep's file gets a new version, copy's file becomes the proposal, fail's script changes under its version.
            using (var delete = await admin.DeleteAsync("/jdl/sleep"))
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            var copy2 = WithVersion(await File.ReadAllTextAsync(Path.Combine(folder, "copy.yaml")), "2");
            Assert.Equal("proposed", (string?)(await admin.ProposeAsync("copy", copy2))["status"]);
            var sleepFile = Path.Combine(folder, "sleep.yaml");
            await File.WriteAllTextAsync(sleepFile, WithVersion(await File.ReadAllTextAsync(sleepFile), "2.0"));
            await File.WriteAllTextAsync(Path.Combine(folder, "copy.yaml"), copy2);
            var failFile = Path.Combine(folder, "fail.yaml");
            await File.WriteAllTextAsync(failFile, (await File.ReadAllTextAsync(failFile)).Replace("script: |\n", "script: |\n  echo changed\n", StringComparison.Ordinal));

            await server.KillAsync();
            await server.RestartAsync();

            // A new version in the folder is added and published, as at the first start.
            var sleep = await client.GetVersionsAsync("sleep");
            Assert.Equal(("withdrawn", false), sleep["1.0"]);
            Assert.Equal(("published", true), sleep["2.0"]);
            Assert.Equal("2.0", (await client.GetDefinitionAsync("sleep")).Version);

            // A stored proposal stays a proposal: only an admin publishes it.
            var copy = await client.GetVersionsAsync("copy");
            Assert.Equal(("published", true), copy["1.0"]);
            Assert.Equal(("proposed", false), copy["2"]);
            Assert.Equal("1.0", (await client.GetDefinitionAsync("copy")).Version);

            // Other content under a stored version is skipped, with the reason in the log.
            Assert.Equal(Canonical(Sample("fail")), Canonical(await client.GetDefinitionAsync("fail")));
            Assert.Contains("version '1.0' of 'fail' exists with other content", server.Log);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string WithVersion(string yaml, string version)
    {
        var changed = System.Text.RegularExpressions.Regex.Replace(yaml, "^version: .*$", $"version: \"{version}\"", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.NotEqual(yaml, changed);
        return changed;
    }
}
