using System.Net;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Slurm;

/// <summary>
/// A user's SLURM account, set by SCIM, is the --account of that user's jobs on the real cluster. The test cluster
/// keeps no accounting database (AccountingStorageType=accounting_storage/none), so SLURM takes any account name
/// and scontrol shows the one the job was submitted with.
/// </summary>
public sealed class SlurmAccountTests(SlurmServerFixture fixture) : IClassFixture<SlurmServerFixture>
{
    private OpusServer Server => fixture.Server;

    [Fact]
    public async Task A_users_account_set_by_scim_is_the_account_of_their_jobs()
    {
        var account = $"lab-{Guid.NewGuid():N}"[..20];
        var name = AuthSteps.UniqueName("astronomer");
        var user = await Server.CreateUserAsync(name, "copy");
        using (var admin = Server.AdminClient())
        {
            var patch = new JsonObject
            {
                ["schemas"] = new JsonArray(AuthSteps.PatchSchema),
                ["Operations"] = new JsonArray(new JsonObject
                {
                    ["op"] = "replace", ["path"] = "urn:opus:scim:schemas:extension:2.0:User:slurmAccount", ["value"] = account,
                }),
            };
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/scim/v2/Users/{user}") { Content = AuthSteps.ScimContent(patch) };
            using var response = await admin.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        using var client = Server.ClientFor(await Server.IssueTokenAsync(name));
        var job = await client.CreateJobAsync("copy", ("text", "charged"), ("PHASE", "RUN"));
        var done = await client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        Assert.Equal(account, await SlurmAccountOfAsync(JobSteps.JobId(job)));

        // The admin has no account: its job gets none of the user's.
        var other = await Server.Client.CreateJobAsync("copy", ("text", "uncharged"), ("PHASE", "RUN"));
        Assert.Equal("COMPLETED", (await Server.Client.WaitForEndAsync(other, Eventually.Bound)).Phase());
        Assert.NotEqual(account, await SlurmAccountOfAsync(JobSteps.JobId(other)));
    }

    /// <summary>The Account scontrol shows for the SLURM job of that Opus job (finished jobs stay for MinJobAge).</summary>
    private static async Task<string?> SlurmAccountOfAsync(string jobId)
    {
        var state = await SlurmCluster.WaitForStateAsync(jobId, s => s == "COMPLETED", Eventually.Bound);
        Assert.NotNull(state);
        var (exitCode, output) = await SlurmCluster.RunAsync("scontrol", "show", "job", state.Value.SlurmId);
        Assert.True(exitCode == 0, output);
        return output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(f => f.StartsWith("Account=", StringComparison.Ordinal))?["Account=".Length..];
    }
}
