using System.Text;
using System.Text.Json.Nodes;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Provenance;
using static Opus.Server.Tests.Provenance.ProvenanceSteps;
using static Opus.Server.Tests.Staging.StagingSteps;

namespace Opus.Server.Tests.Cluster;

/// <summary>
/// Jobs run on the multi-host test cluster through a remote transport (the server on this machine, SLURM
/// on other hosts): the same behaviour through ssh and through slurmrestd. Jobs get their files over HTTP
/// (Opus:Slurm:Staging=http): the server's data folder is hidden from the compute hosts.
/// </summary>
public abstract class RemoteClusterTests<TFixture>(TFixture fixture) where TFixture : ClusterServerFixture
{
    private OpusServer Server => fixture.Server;

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_job_with_several_results_runs_on_a_compute_host_and_completes()
    {
        var text = $"on the cluster 🛰 {Guid.NewGuid()}";
        var job = await Client.CreateJobAsync("several", ("text", text), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        Assert.Equal(Encoding.UTF8.GetBytes(text), await Client.GetResultBytesAsync(job, "echo"));
        Assert.Contains(Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "host")).Trim(), new[] { "n1", "n2" });
        Assert.Equal(100000, (await Client.GetResultBytesAsync(job, "bytes")).Length);
        Assert.Equal("COMPLETED", (await TestCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "COMPLETED", Eventually.Bound))?.State);
    }

    [Fact]
    public async Task A_job_with_an_uploaded_input_and_several_results_completes_with_the_right_bytes_and_hashes_on_a_node_that_cannot_see_the_server_folder()
    {
        var input = new byte[3_000_000];
        Random.Shared.NextBytes(input);
        var text = $"staged on the cluster 🛰 {Guid.NewGuid()}";
        var job = await Client.CreateWithUploadAsync("staged-files", ("data", "raw frame.bin", input),
            ("text", text), ("server_data", Server.DataPath), ("PHASE", "RUN"));

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        var node = Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "host")).Trim();
        Assert.Contains(node, new[] { "n1", "n2" });

        Assert.Equal(input, await Client.GetResultBytesAsync(job, "copy"));
        Assert.Equal(Sha256(input), done.Sha256Of("copy"));
        Assert.Equal(Sha256(input) + "\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "sum")));
        Assert.Equal(Encoding.UTF8.GetBytes(text), await Client.GetResultBytesAsync(job, "note"));
        Assert.Equal(Sha256(Encoding.UTF8.GetBytes(text)), done.Sha256Of("note"));

        // The job's folder is here, with the input; the node saw neither it nor the data folder it is in.
        var folder = Server.JobDirectory(job);
        Assert.True(Directory.Exists(folder), folder);
        Assert.Equal("hidden\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "server")));
        Assert.NotEqual(0, (await TestCluster.OnAsync(node, "test", "-e", folder)).ExitCode);
        Assert.Equal("COMPLETED", (await TestCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "COMPLETED", Eventually.Bound))?.State);
        await Eventually.HoldsAsync(() => fixture.NodeFolder(JobSteps.JobId(job)) is null, "the job's node folder is removed");
    }

    [Fact]
    public async Task Three_jobs_on_different_nodes_make_a_provenance_chain()
    {
        var first = Unique("first");
        var a = await Client.RunAsync("chain-first", ("text", first), ("slurm_constraint", "n1"));
        var e1 = a.Job.Sha256Of("output");
        var b = await Client.RunAsync("chain-next", ("input", e1), ("text", "second"), ("slurm_constraint", "n2"));
        var e2 = b.Job.Sha256Of("output");
        var c = await Client.RunAsync("chain-next", ("input", e2), ("text", "third"), ("slurm_constraint", "n1"));
        var e3 = c.Job.Sha256Of("output");

        Assert.Equal(["n1", "n2", "n1"], await Task.WhenAll(new[] { a, b, c }.Select(async j => Encoding.UTF8.GetString(await Client.GetResultBytesAsync(j.Path, "host")).Trim())));
        Assert.Equal($"{first}\nsecond\nthird\n", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(c.Path, "output")));

        var document = await Client.ProvJsonAsync($"ID={e3}&DEPTH=ALL");
        Assert.Equal(new[] { Job("chain-first", a.Id), Job("chain-next", b.Id), Job("chain-next", c.Id) }.Order(StringComparer.Ordinal), document.Keys("activity"));
        Assert.Contains(document.Relations("used"), u => u.Text("prov:entity") == Store(e1) && u.Text("prov:activity") == Job("chain-next", b.Id));
        Assert.Contains(document.Relations("used"), u => u.Text("prov:entity") == Store(e2) && u.Text("prov:activity") == Job("chain-next", c.Id));
        Assert.Contains(document.Relations("wasGeneratedBy"), g => g.Text("prov:entity") == Store(e3) && g.Text("prov:activity") == Job("chain-next", c.Id));
    }

    [Theory]
    [InlineData("n1")]
    [InlineData("n2")]
    public async Task A_user_sets_a_SLURM_option_the_definition_allows_within_its_limits(string host)
    {
        var job = await Client.CreateJobAsync("pick-host", ("slurm_constraint", host), ("PHASE", "RUN"));
        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
        Assert.Equal(host, Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "host")).Trim());

        // Outside the definition's options: refused at creation, as any parameter value is.
        using var refused = await Client.PostFormAsync("/rest/pick-host", ("slurm_constraint", "n3"), ("PHASE", "RUN"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task An_aborted_running_job_leaves_no_process_on_any_host()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        await Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
        // The runner's argument is its folder on the node; the script's processes carry OPUS_JOB_ID.
        var directory = (await Eventually.HoldsAsync(() => Task.FromResult(fixture.NodeFolder(id)), f => f is not null, "the job's node folder"))!;
        try
        {
            // The hosts share this machine's process table (network, name and mounts are theirs): /proc shows their processes.
            var running = await JobProcesses.WaitUntilAsync(id, directory, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            Assert.Contains(running, p => p.Command == "sleep");

            await Client.AbortAsync(job);
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
            await JobProcesses.AssertNoneLeftAsync(id, directory, Eventually.Bound);
            Assert.Equal("CANCELLED", (await TestCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
            await Eventually.HoldsAsync(() => !Directory.Exists(directory), "the node folder is removed");
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task Shell_syntax_in_parameters_and_options_reaches_nothing_but_the_job()
    {
        var marker = $"/tmp/pwned-{Guid.NewGuid():N}";
        var values = new[] { $"$(touch {marker})", $"`touch {marker}`", $"'; touch {marker}; '", $"\"; touch {marker}; \"" };
        foreach (var value in values)
        {
            var job = await Client.CreateJobAsync("several", ("text", value), ("PHASE", "RUN"));
            var done = await Client.WaitForEndAsync(job, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{value}: {done.Phase()}: {done.ErrorMessage()}");
            // The job's own environment had the value, byte for byte.
            Assert.Equal(value, Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "echo")));
        }

        // SLURM options (partition, account, qos, constraint, gres of a definition) with shell syntax: SLURM refuses them, nothing runs.
        File.Delete(ClusterServerFixture.PartitionMarker);
        var refused = await Client.WaitForEndAsync(await Client.CreateJobAsync("inject", ("PHASE", "RUN")), Eventually.Bound);
        Assert.Equal("ERROR", refused.Phase());
        Assert.StartsWith("SLURM refused the job", refused.ErrorMessage() ?? "", StringComparison.Ordinal);
        Assert.True(await TestCluster.NowhereAsync(ClusterServerFixture.PartitionMarker), $"{ClusterServerFixture.PartitionMarker} was created");

        Assert.True(await TestCluster.NowhereAsync(marker), $"{marker} was created");
    }

    [Fact]
    public async Task A_job_past_its_time_limit_ends_in_ERROR_saying_so()
    {
        // SLURM limits are whole minutes, enforced every 30 s: this takes 60-100 s.
        var job = await Client.CreateJobAsync("one-minute", ("PHASE", "RUN"));
        var done = await Client.WaitForEndAsync(job, TimeSpan.FromMinutes(2) + Eventually.Bound);
        Assert.Equal("ERROR", done.Phase());
        Assert.Contains("time limit", done.ErrorMessage() ?? "");
    }

    [Fact]
    public async Task A_job_whose_compute_host_dies_ends_in_ERROR_saying_the_node_failed()
    {
        await TestCluster.WaitForNodesAsync();
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        var directory = Server.JobDirectory(job);
        string? node = null;
        try
        {
            var running = await TestCluster.WaitForStateAsync(id, s => s == "RUNNING", Eventually.Bound);
            node = running?.Node;
            Assert.Contains(node, new[] { "n1", "n2" });
            await TestCluster.StopAsync($"slurmd-{node}.pid", kill: true);

            // slurmctld declares the node DOWN after SlurmdTimeout (20 s) and its job NODE_FAIL.
            var done = await Client.WaitForEndAsync(job, Eventually.Bound);
            Assert.Equal("ERROR", done.Phase());
            Assert.Contains("node", done.ErrorMessage() ?? "");
            Assert.Contains("failed", done.ErrorMessage() ?? "");
        }
        finally
        {
            JobProcesses.Kill(id, directory);
            if (node is not null)
            {
                await TestCluster.OnAsync(node, "/usr/sbin/slurmd", "-N", node);
                await TestCluster.OnAsync("ctl", "scontrol", "update", $"nodename={node}", "state=resume");
                await TestCluster.WaitForNodesAsync();
            }
        }
    }

    [Fact]
    public async Task A_job_whose_definition_allows_it_is_requeued_when_its_compute_host_dies_and_completes_on_the_other()
    {
        await TestCluster.WaitForNodesAsync();
        var job = await Client.CreateJobAsync("rerun", ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        string? node = null;
        try
        {
            await Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
            var running = await TestCluster.WaitForStateAsync(id, s => s == "RUNNING", Eventually.Bound);
            node = running?.Node;
            Assert.Contains(node, new[] { "n1", "n2" });
            await TestCluster.StopAsync($"slurmd-{node}.pid", kill: true);
            TestCluster.KillJobOnItsHost(id, running!.Value.SlurmId);

            // After SlurmdTimeout (20 s) slurmctld declares the node DOWN and requeues the job: QUEUED again, not ended.
            // SLURM holds a requeued job about two minutes (BeginTime) before it runs it again, on the other host.
            // Both waits are on events (the node declared DOWN, then the hold's end); the bounds only end a broken test.
            await Client.WaitForPhaseAsync(job, "QUEUED", Eventually.Bound);
            var done = await Client.WaitForEndAsync(job, TimeSpan.FromMinutes(2) + Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
            Assert.Equal(node == "n1" ? "n2" : "n1", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "host")).Trim());
            Assert.Equal("1", Encoding.UTF8.GetString(await Client.GetResultBytesAsync(job, "restarts")).Trim());
        }
        finally
        {
            if (node is not null)
            {
                await TestCluster.OnAsync(node, "/usr/sbin/slurmd", "-N", node);
                await TestCluster.OnAsync("ctl", "scontrol", "update", $"nodename={node}", "state=resume");
                await TestCluster.WaitForNodesAsync();
            }
        }
    }

    [Fact]
    public async Task A_node_that_cannot_reach_the_server_ends_the_job_in_ERROR_saying_so()
    {
        // A firewall between the compute hosts and the server: on n1 and n2 every packet to this machine is refused.
        var blocked = new List<string>();
        try
        {
            foreach (var node in new[] { "n1", "n2" })
            {
                var (code, output) = await TestCluster.OnAsync(node, "ip", "route", "add", "prohibit", $"{TestCluster.ThisMachine}/32");
                Assert.True(code == 0, output);
                blocked.Add(node);
            }

            var job = await Client.CreateJobAsync("several", ("text", "never fetched"), ("PHASE", "RUN"));
            var done = await Client.WaitForEndAsync(job, Eventually.Bound);
            Assert.Equal("ERROR", done.Phase());
            Assert.Matches(
                $"^the compute node could not reach the server at http://{TestCluster.ThisMachine.Replace(".", "\\.", StringComparison.Ordinal)}:[0-9]+ to fetch the job's files " +
                "\\(the nodes must reach Opus:PublicUrl, or Opus:CallbackUrl when it is set\\)$",
                done.ErrorMessage() ?? "");
            Assert.Equal("FAILED", (await TestCluster.WaitForStateAsync(JobSteps.JobId(job), s => s == "FAILED", Eventually.Bound))?.State);
        }
        finally
        {
            foreach (var node in blocked)
                await TestCluster.OnAsync(node, "ip", "route", "del", "prohibit", $"{TestCluster.ThisMachine}/32");
        }
    }

    [Fact]
    public async Task Nothing_is_lost_when_slurmctld_restarts()
    {
        await TestCluster.WaitForNodesAsync();
        var running = await Client.CreateJobAsync("sleep", ("seconds", "20"), ("PHASE", "RUN"));
        await TestCluster.WaitForStateAsync(JobSteps.JobId(running), s => s == "RUNNING", Eventually.Bound);

        await TestCluster.StopAsync("slurmctld.pid");
        try
        {
            // Submitted while slurmctld is away: it waits in QUEUED.
            var queued = await Client.CreateJobAsync("several", ("text", "later"), ("PHASE", "RUN"));
            Assert.Equal("QUEUED", (await Client.GetXmlAsync(queued)).Phase());
            await TestCluster.OnAsync("ctl", "/usr/sbin/slurmctld");

            var late = await Client.WaitForEndAsync(queued, Eventually.Bound);
            Assert.True(late.Phase() == "COMPLETED", $"{late.Phase()}: {late.ErrorMessage()}");
        }
        finally
        {
            if ((await TestCluster.OnAsync("ctl", "scontrol", "ping")).ExitCode != 0)
                await TestCluster.OnAsync("ctl", "/usr/sbin/slurmctld");
        }

        var done = await Client.WaitForEndAsync(running, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}");
    }

    /// <summary>Stops the way in (sshd or slurmrestd) with its connections; starts it again.</summary>
    protected abstract Task StopLoginAsync();

    protected abstract Task StartLoginAsync();

    [Fact]
    public async Task A_job_aborted_while_the_login_node_is_unreachable_is_ABORTED_at_once_and_cancelled_on_the_cluster_when_it_returns()
    {
        var job = await Client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var id = JobSteps.JobId(job);
        await Client.WaitForPhaseAsync(job, "EXECUTING", Eventually.Bound);
        var directory = (await Eventually.HoldsAsync(() => Task.FromResult(fixture.NodeFolder(id)), f => f is not null, "the job's node folder"))!;
        try
        {
            await JobProcesses.WaitUntilAsync(id, directory, p => p.Any(x => x.Command == "sleep"), Eventually.Bound);
            await StopLoginAsync();
            try
            {
                // The abort is answered (not a 500) and recorded, though the cluster cannot take the scancel yet.
                await Client.AbortAsync(job);
                Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
            }
            finally
            {
                await StartLoginAsync();
            }

            await JobProcesses.AssertNoneLeftAsync(id, directory, Eventually.Bound);
            Assert.Equal("CANCELLED", (await TestCluster.WaitForStateAsync(id, s => s == "CANCELLED", Eventually.Bound))?.State);
            Assert.Equal("ABORTED", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            JobProcesses.Kill(id, directory);
        }
    }

    [Fact]
    public async Task The_admin_status_says_whether_the_cluster_answers_with_no_job_to_ask_about()
    {
        await Eventually.HoldsAsync(() => ClusterStatusAsync(), c => c?["reachable"]?.GetValue<bool>() == true, "/status says the cluster answers");
        await StopLoginAsync();
        try
        {
            var status = await Eventually.HoldsAsync(() => ClusterStatusAsync(), c => c?["reachable"]?.GetValue<bool>() == false, "/status says the cluster is unreachable");
            Assert.StartsWith("the cluster is unreachable: ", status!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(fixture.Transport, status["transport"]!.GetValue<string>());
            Assert.NotNull(status["since"]);
        }
        finally
        {
            await StartLoginAsync();
        }

        await Eventually.HoldsAsync(() => ClusterStatusAsync(), c => c?["reachable"]?.GetValue<bool>() == true, "/status says the cluster answers again");
    }

    private async Task<JsonNode?> ClusterStatusAsync()
    {
        using var admin = Server.AdminClient();
        return JsonNode.Parse(await admin.GetStringAsync("/status"))!["cluster"];
    }

    [Fact]
    public async Task Jobs_wait_in_QUEUED_while_the_login_node_is_unreachable_and_go_when_it_returns()
    {
        await StopLoginAsync();
        string job;
        try
        {
            job = await Client.CreateJobAsync("several", ("text", "after the outage"), ("PHASE", "RUN"));
            var status = await Eventually.HoldsAsync(
                async () => JsonNode.Parse(await Server.AdminClient().GetStringAsync("/status"))!["cluster"],
                c => c?["reachable"]?.GetValue<bool>() == false, "/status says the cluster is unreachable");
            Assert.Contains("unreachable", status!["reason"]!.GetValue<string>());
            Assert.Equal("QUEUED", (await Client.GetXmlAsync(job)).Phase());
        }
        finally
        {
            await StartLoginAsync();
        }

        var done = await Client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{Server.Log}");
        var after = JsonNode.Parse(await Server.AdminClient().GetStringAsync("/status"))!["cluster"];
        Assert.True(after?["reachable"]?.GetValue<bool>());
    }
}

[Collection(ClusterCollection.Name)]
public sealed class SshClusterTests(SshClusterFixture fixture) : RemoteClusterTests<SshClusterFixture>(fixture), IClassFixture<SshClusterFixture>
{
    [Fact]
    public async Task A_login_node_whose_host_key_is_not_the_pinned_one_is_never_used()
    {
        await TestCluster.EnsureStartedAsync();
        var settings = await TestCluster.SettingsAsync("ssh");
        // Well-formed, but another key's: an impostor (or a changed login node) gets no command.
        settings["Opus:Slurm:Ssh:HostKeyFingerprint"] = "SHA256:" + new string('A', 43);
        await using var server = await Slurm.SlurmCluster.StartServerAsync(settings);
        var job = await server.Client.CreateJobAsync("copy", ("text", "never sent"), ("PHASE", "RUN"));

        var cluster = await Eventually.HoldsAsync(
            async () => JsonNode.Parse(await server.AdminClient().GetStringAsync("/status"))!["cluster"],
            c => c?["reachable"]?.GetValue<bool>() == false, "/status says the cluster is unreachable");
        Assert.Contains("unreachable", cluster!["reason"]!.GetValue<string>());
        Assert.Equal("QUEUED", (await server.Client.GetXmlAsync(job)).Phase());
        Assert.Null(await TestCluster.StateOfAsync(JobSteps.JobId(job)));
        Assert.Contains("not the configured one", server.Log);
    }

    protected override Task StopLoginAsync() => TestCluster.StopAsync("sshd.pid");

    protected override Task StartLoginAsync() => TestCluster.StartSshdAsync();
}

[Collection(ClusterCollection.Name)]
public sealed class RestClusterTests(RestClusterFixture fixture) : RemoteClusterTests<RestClusterFixture>(fixture), IClassFixture<RestClusterFixture>
{
    protected override Task StopLoginAsync() => TestCluster.StopAsync("slurmrestd.pid");

    protected override Task StartLoginAsync() => TestCluster.StartSlurmrestdAsync();
}

/// <summary>The job folder shared with the nodes (Opus:Slurm:Staging=shared), through ssh.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SharedStagingClusterTests(SharedStagingClusterFixture fixture) : IClassFixture<SharedStagingClusterFixture>
{
    [Fact]
    public async Task A_job_runs_in_the_shared_job_folder_and_completes()
    {
        var client = fixture.Server.Client;
        var text = $"shared {Guid.NewGuid()}";
        var job = await client.CreateJobAsync("several", ("text", text), ("PHASE", "RUN"));

        var done = await client.WaitForEndAsync(job, Eventually.Bound);
        Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()}: {done.ErrorMessage()}\n{fixture.Server.Log}");
        Assert.Equal(Encoding.UTF8.GetBytes(text), await client.GetResultBytesAsync(job, "echo"));
        // The node wrote into the server's job folder, which it sees: no staging went over HTTP.
        var node = Encoding.UTF8.GetString(await client.GetResultBytesAsync(job, "host")).Trim();
        Assert.Equal(0, (await TestCluster.OnAsync(node, "test", "-d", fixture.Server.JobDirectory(job))).ExitCode);
        Assert.DoesNotContain("opus staging", await File.ReadAllTextAsync(Path.Combine(fixture.Server.JobDirectory(job), "runner.log")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(fixture.Scratch));
    }
}

/// <summary>The cluster tests stop and start its daemons: one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "remote cluster";
}
