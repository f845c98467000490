using System.Net;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Execution;
using static Opus.Server.Tests.Provenance.ProvenanceSteps;

namespace Opus.Server.Tests.Provenance;

/// <summary>Owner isolation in provenance (provenance.md section 4 rule 6): another user's job is never shown; traversal stops at the entity.</summary>
[Collection(ProvenanceCollection.Name)]
public sealed class IsolationTests(ProvenanceFixture fixture)
{
    [Fact]
    public async Task Traversal_never_shows_a_job_of_another_user()
    {
        var server = fixture.Server;
        var aliceName = AuthSteps.UniqueName("alice");
        var bobName = AuthSteps.UniqueName("bob");
        await server.CreateUserAsync(aliceName, "*");
        await server.CreateUserAsync(bobName, "*");
        using var alice = server.ClientFor(await server.IssueTokenAsync(aliceName));
        using var bob = server.ClientFor(await server.IssueTokenAsync(bobName));
        using var admin = server.AdminClient();

        // Alice produces E1; bob, who got the same bytes, uses them in his job (same content, same entity).
        var a = await alice.RunAsync("test_activity_1", ("text", Unique("alice's text")));
        var e1 = a.Job.Sha256Of("output");
        var bytes = await alice.GetResultBytesAsync(a.Path, "output");
        var b = await bob.RunWithUploadAsync("test_activity_2", ("input", "from-a-colleague.txt", bytes));
        var e2 = b.Job.Sha256Of("output");

        // Bob: his job and the entity, nothing of alice's job, not even when it generated what he used.
        var bobs = await bob.ProvJsonAsync($"ID={e2}&DEPTH=ALL&DIRECTION=BOTH&DESCRIPTIONS=2");
        Assert.Equal([Job("test_activity_2", b.Id)], bobs.Keys("activity"));
        Assert.Contains(Store(e1), bobs.Keys("entity"));
        Assert.Null(bobs.Record("entity", Store(e1))["voprov:generatedAtTime"]);
        Assert.DoesNotContain(a.Id, bobs.ToJsonString());
        Assert.DoesNotContain(aliceName, bobs.ToJsonString());
        var fromE1 = await bob.ProvJsonAsync($"ID={e1}&DEPTH=ALL&DIRECTION=BOTH");
        Assert.Equal([Job("test_activity_2", b.Id)], fromE1.Keys("activity"));

        // Alice's job itself is not found for bob, by id, name, URL or shortcut.
        foreach (var id in new[] { a.Id, $"opus_job:test_activity_1/{a.Id}", Uri.EscapeDataString($"{server.BaseUri}rest/test_activity_1/{a.Id}") })
        {
            var (status, body) = await bob.GetStatusAsync($"/provsap?ID={id}&RESPONSEFORMAT=PROV-JSON");
            Assert.True(status == HttpStatusCode.NotFound, $"{id}: {(int)status} {body}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetStatusAsync($"{a.Path}/prov")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetStatusAsync($"{a.Path}/provjson")).Status);
        // Nor is content only alice's jobs touched, nor anything of bob's for alice.
        var other = await alice.RunAsync("test_activity_1", ("text", Unique("alice only")));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetStatusAsync($"/provsap?ID={other.Job.Sha256Of("output")}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetStatusAsync($"/provsap?ID={b.Id}")).Status);

        // Alice sees her side only.
        var alices = await alice.ProvJsonAsync($"ID={e1}&DEPTH=ALL&DIRECTION=BOTH");
        Assert.Equal([Job("test_activity_1", a.Id)], alices.Keys("activity"));
        Assert.DoesNotContain(bobName, alices.ToJsonString());

        // An admin sees the whole chain; anonymous callers see neither.
        var all = await admin.ProvJsonAsync($"ID={e2}&DEPTH=ALL");
        Assert.Equal(new[] { Job("test_activity_1", a.Id), Job("test_activity_2", b.Id) }.Order(StringComparer.Ordinal), all.Keys("activity"));
        Assert.Equal(new[] { $"opus_user:{aliceName}", $"opus_user:{bobName}" }.Order(StringComparer.Ordinal), all.Keys("agent"));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetStatusAsync($"/provsap?ID={e2}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetStatusAsync($"/provsap?ID={JobSteps.JobId(a.Path)}")).Status);
    }
}
