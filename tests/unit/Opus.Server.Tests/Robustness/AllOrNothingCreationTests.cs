using System.Net;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Robustness.RobustnessSteps;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// Issue 13, item 5: a creation is all or nothing. A creation with PHASE=RUN whose run is refused
/// after the job's row was written leaves no PENDING job behind. Here the run is refused because
/// another server process withdrew the version (written to the shared database, as it would), which
/// this server's catalog learns only when a run checks the database (or at its next sweep, an hour
/// away here, so that the creation itself is not refused first).
/// </summary>
public sealed class AllOrNothingCreationTests
{
    [Fact]
    public async Task A_creation_whose_run_is_refused_after_the_row_was_written_leaves_no_job()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:SweepInterval"] = "01:00:00" });
        using var admin = server.AdminClient();
        var name = $"withdrawn-{Guid.NewGuid():N}"[..20];
        await admin.ProposeAsync(name, $$"""
            name: {{name}}
            version: "1.0"
            description: Prints a word.
            executionDuration: 60
            script: |
              echo word
            """, publish: true);
        await WithdrawInDatabaseAsync(server, name);

        using var refused = await admin.PostFormAsync($"/rest/{name}", ("PHASE", "RUN"));

        await AssertOneLineAsync(refused, HttpStatusCode.Forbidden, "withdrawn");
        Assert.Empty((await admin.GetJobListAsync(name)).JobRefIds());
    }

    /// <summary>What DELETE /jdl/{name} on another server process of the same database writes.</summary>
    private static async Task WithdrawInDatabaseAsync(OpusServer server, string name)
    {
        await using var db = await TestPostgres.OpenDatabaseAsync(server);
        await using var command = db.CreateCommand();
        command.CommandText = "UPDATE definitions SET \"Status\" = 'Withdrawn' WHERE \"Name\" = @name";
        AddParameter(command, "name", name);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
