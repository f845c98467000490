using System.Diagnostics;
using System.Net;
using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Definitions;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;
using Xunit.Abstractions;

namespace Opus.Server.Tests.Postgres;

/// <summary>
/// Server processes on one PostgreSQL database that start at the same moment, or die: each test has
/// its own database, data folder and two servers.
/// </summary>
public sealed class ServerProcessTests(ITestOutputHelper output)
{
    private static Dictionary<string, string> Settings(string connection, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string>
        {
            ["Opus:Storage:Provider"] = "Postgres",
            ["Opus:Storage:ConnectionString"] = connection,
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
        };
        foreach (var (key, value) in more)
            settings[key] = value;
        return settings;
    }

    [Fact]
    public async Task Jobs_of_a_server_killed_while_they_run_are_settled_by_the_other_without_a_restart()
    {
        var connection = await TestPostgres.CreateDatabaseAsync("opus_takeover");
        var data = Directory.CreateTempSubdirectory("opus-takeover-").FullName;
        OpusServer? first = null;
        OpusServer? second = null;
        var jobs = new List<(string Id, string Directory)>();
        try
        {
            first = await OpusServer.StartAsync(Settings(connection), data);
            second = await OpusServer.StartAsync(Settings(connection), data);

            // Both run on the first server: one outlives it, one is killed with it. Neither can end before
            // the test lets it: the survivor waits for its gate, the lost one would sleep an hour.
            await Gate.PublishAsync(first);
            using var gate = new Gate();
            var survivor = await gate.RunJobAsync(first.Client);
            var lost = await first.Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
            jobs.AddRange(new[] { survivor, lost }.Select(j => (JobSteps.JobId(j), first.JobDirectory(j))));
            foreach (var job in new[] { survivor, lost })
                await first.Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
            var owner = OwnerOf(await ManagerJobIdAsync(first, JobSteps.JobId(survivor)));

            // While the first lives, the second's sweeps (every second) leave its jobs alone. Nothing to wait
            // for here: this is a window in which a wrong take-over would show (a loaded machine sweeps less often in it).
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.Equal(owner, OwnerOf(await ManagerJobIdAsync(first, JobSteps.JobId(survivor))));
            Assert.Equal(owner, OwnerOf(await ManagerJobIdAsync(first, JobSteps.JobId(lost))));

            await first.KillAsync();
            var clock = Stopwatch.StartNew();
            JobProcesses.Kill(JobSteps.JobId(lost), first.JobDirectory(lost));
            Assert.NotEmpty(JobProcesses.Of(JobSteps.JobId(survivor), first.JobDirectory(survivor)));

            // The runner that survived is adopted while it still runs: the second records itself as its owner.
            var adopted = await Eventually.HoldsAsync(
                () => ManagerJobIdAsync(second, JobSteps.JobId(survivor)),
                handle => OwnerOf(handle) != owner,
                $"{survivor} taken over by the second server");
            output.WriteLine($"survivor taken over after {clock.Elapsed.TotalMilliseconds:0} ms: {owner} -> {OwnerOf(adopted)}");
            Assert.NotEqual(owner, OwnerOf(adopted));
            Assert.NotEmpty(JobProcesses.Of(JobSteps.JobId(survivor), first.JobDirectory(survivor)));

            // The job whose processes died with the server ends in ERROR, within a bound, nothing restarted.
            var ended = await second.Client.WaitForEndAsync(lost, Eventually.Bound);
            output.WriteLine($"lost job settled after {clock.Elapsed.TotalMilliseconds:0} ms: {ended.Phase()} {ended.ErrorMessage()}");
            Assert.Equal("ERROR", ended.Phase());

            // The survivor, still executing, completes with its result once let go, started once.
            Assert.Equal("EXECUTING", (await second.Client.GetXmlAsync(survivor)).Phase());
            gate.Open();
            var done = await second.Client.WaitForEndAsync(survivor, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{survivor}: {done.Phase()} {done.ErrorMessage()}");
            Assert.Equal("gate opened\n", System.Text.Encoding.UTF8.GetString(await second.Client.GetResultBytesAsync(survivor, "report")));
            var events = await File.ReadAllLinesAsync(Path.Combine(first.JobDirectory(survivor), "events"));
            Assert.Equal(1, events.Count(l => l.Contains(" EXECUTING", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var (id, directory) in jobs)
                JobProcesses.Kill(id, directory);
            if (second is not null)
                await second.DisposeAsync();
            if (first is not null)
                await first.DisposeAsync();
            await TestPostgres.DropDatabaseAsync(connection);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_servers_starting_at_once_on_an_empty_database_both_start_with_one_admin(bool configuredToken)
    {
        var connection = await TestPostgres.CreateDatabaseAsync("opus_start");
        var data = Directory.CreateTempSubdirectory("opus-start-").FullName;
        // The harness configures the admin token; an empty one is "none configured": the token is written to
        // data/admin-token, the console being no terminal here, by one of the two.
        var settings = configuredToken ? Settings(connection) : Settings(connection, ("Opus:Auth:AdminToken", ""));
        var starting = new[] { OpusServer.StartAsync(settings, data), OpusServer.StartAsync(settings, data) };
        try
        {
            // Both migrate the empty database, load the definitions and look for an admin at the same moment.
            var servers = await Task.WhenAll(starting);

            var announced = servers.Count(s => s.Log.Contains("Opus created the admin account", StringComparison.Ordinal));
            var file = Path.Combine(data, "admin-token");
            string token;
            if (configuredToken)
            {
                Assert.Equal(0, announced);
                Assert.False(File.Exists(file));
                token = OpusServer.AdminToken;
            }
            else
            {
                // Created once, by one of the two, and never printed.
                Assert.Equal(1, announced);
                token = (await File.ReadAllTextAsync(file)).TrimEnd('\n');
                Assert.All(servers, s => Assert.DoesNotContain(token, s.Log, StringComparison.Ordinal));
            }

            foreach (var server in servers)
            {
                using var admin = server.ClientFor("admin", token);
                Assert.Equal(HttpStatusCode.OK, await admin.StatusOfAsync("/scim/v2/Users"));
                Assert.Equal(["copy", "fail", "sleep"], (await admin.ListDefinitionNamesAsync()).Order());
            }

            await using var db = await TestPostgres.OpenDatabaseAsync(servers[0]);
            await using var command = db.CreateCommand();
            command.CommandText = "SELECT (SELECT COUNT(*) FROM users WHERE \"Roles\" LIKE '%\"admin\"%'), (SELECT COUNT(*) FROM tokens), (SELECT COUNT(*) FROM definitions)";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1L, reader.GetInt64(0));
            Assert.Equal(1L, reader.GetInt64(1));
            Assert.Equal(3L, reader.GetInt64(2));
        }
        finally
        {
            foreach (var start in starting)
            {
                if (start.IsCompletedSuccessfully)
                    await (await start).DisposeAsync();
            }

            await TestPostgres.DropDatabaseAsync(connection);
        }
    }

    private static async Task<string?> ManagerJobIdAsync(OpusServer server, string jobId)
    {
        await using var db = await TestPostgres.OpenDatabaseAsync(server);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT \"ManagerJobId\" FROM jobs WHERE \"Id\" = @id";
        UwsTestHelpers.AddParameter(command, "id", jobId);
        return await command.ExecuteScalarAsync() as string;
    }

    // The local manager's handle is "<process group> <owning process>".
    private static string? OwnerOf(string? handle) => handle?.Split(' ', 2) is [_, var owner] ? owner : null;
}
