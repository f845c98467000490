using System.Net;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Robustness;

/// <summary>
/// Issue 13, item 12: the admin status tells when the process started and how large the database is
/// (with SQLite's write-ahead log), and a user's "last active" is their last authenticated request.
/// </summary>
public sealed class StatusTests
{
    private const string OpusUserSchema = "urn:opus:scim:schemas:extension:2.0:User";

    [Fact]
    public async Task Status_startedAt_is_the_process_start_and_the_database_size_counts_the_write_ahead_log()
    {
        var beforeStart = DateTime.UtcNow;
        await using var server = await OpusServer.StartAsync();
        var answering = DateTime.UtcNow;
        using var admin = server.AdminClient();
        // Some work first, so the first /status comes well after the start.
        await admin.CreateCompletedCopyJobAsync(Unique("status"));

        var status = await admin.GetJsonAsync("/status");

        // Process start times are kept to the clock tick (10 ms): a second of slack, before the server answered at all.
        var startedAt = ParseUtc(status["startedAt"]!.GetValue<string>());
        Assert.InRange(startedAt, beforeStart.AddSeconds(-1), answering);
        var database = Path.Combine(server.DataPath, "opus.db");
        long Files() => new[] { database, database + "-wal", database + "-shm" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
        var again = await admin.GetJsonAsync("/status");
        Assert.Equal(status["startedAt"]!.GetValue<string>(), again["startedAt"]!.GetValue<string>());

        if (server.PostgresConnection is null)
        {
            // The log holds the recent writes until a second without writes empties it: looked at right after a write,
            // and again when a checkpoint shrank them between the two looks at the files around /status.
            var seen = await Eventually.HoldsAsync(async () =>
            {
                await admin.CreateJobAsync("copy", ("text", "a write"));
                var wal = new FileInfo(database + "-wal");
                var before = Files();
                var reported = (await admin.GetJsonAsync("/status"))["storage"]!["databaseBytes"]!.GetValue<long>();
                return (Wal: wal.Exists ? wal.Length : 0, Before: before, Reported: reported, After: Files());
            }, look => look.Wal > 0 && look.Before <= look.After, "a /status between two looks at the files with no checkpoint between, the log not empty");
            // The three files (which only grow between the two looks), not opus.db alone.
            Assert.InRange(seen.Reported, seen.Before, seen.After);
            Assert.True(seen.Reported > new FileInfo(database).Length, $"{seen.Reported} bytes counts opus.db alone");
        }
        else
        {
            var storage = again["storage"]!;
            Assert.Equal("Postgres", storage["provider"]!.GetValue<string>());
            Assert.True(storage["databaseBytes"]!.GetValue<long>() > 0);
        }
    }

    [Fact]
    public async Task Last_active_is_the_users_last_authenticated_request_not_the_last_change_of_the_record()
    {
        await using var server = await OpusServer.StartAsync(AuthSteps.Settings());
        var userName = AuthSteps.UniqueName("seen");
        var id = await server.CreateUserAsync(userName, "copy");
        var token = await server.IssueTokenAsync(userName);
        using var admin = server.AdminClient();

        var unseen = await admin.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Null(unseen[OpusUserSchema]);
        var modified = unseen["meta"]!["lastModified"]!.GetValue<string>();

        var before = DateTime.UtcNow.AddSeconds(-1);
        using (var user = server.ClientFor(token))
            Assert.Equal(HttpStatusCode.OK, await user.StatusOfAsync("/me"));
        var after = DateTime.UtcNow.AddSeconds(1);

        var seen = await admin.GetJsonAsync($"/scim/v2/Users/{id}");
        Assert.Contains(OpusUserSchema, seen["schemas"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.InRange(ParseUtc(seen[OpusUserSchema]!["lastSeen"]!.GetValue<string>()), before, after);
        // Being seen is no change of the account.
        Assert.Equal(modified, seen["meta"]!["lastModified"]!.GetValue<string>());
        // The token records the same use.
        var tokens = (await admin.GetJsonAsync($"/users/{userName}/tokens"))["tokens"]!.AsArray();
        Assert.InRange(ParseUtc(tokens.Single()!["lastUsedAt"]!.GetValue<string>()), before, after);
        // The list shows it too, where the admin page reads it.
        var listed = (await admin.GetJsonAsync($"/scim/v2/Users?filter=userName%20eq%20%22{userName}%22"))["Resources"]!.AsArray().Single()!;
        Assert.Equal(seen[OpusUserSchema]!.ToJsonString(), listed[OpusUserSchema]!.ToJsonString());
    }
}
