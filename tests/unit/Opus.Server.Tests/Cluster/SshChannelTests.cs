using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core;
using Opus.Core.Execution;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Cluster;

/// <summary>
/// The ssh transport's command runner against the test cluster's login node, with its one channel
/// (Opus:Slurm:Ssh:MaxChannels=1) held by a command that runs until the test removes a file on the login host.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SshChannelTests
{
    [Fact]
    public async Task A_command_that_finds_no_free_channel_within_its_timeout_fails_naming_the_login_node_and_leaves_the_connection_alone()
    {
        await TestCluster.EnsureStartedAsync();
        var options = new OpusOptions();
        options.Slurm.Ssh = new SlurmSshOptions
        {
            Host = TestCluster.Login,
            User = "root",
            KeyFile = Path.Combine(TestCluster.Base, "ssh", "id_ed25519"),
            HostKeyFingerprint = await TestCluster.HostKeyFingerprintAsync(),
            MaxChannels = 1,
        };
        using var runner = new SshCommandRunner(options, NullLogger<SshCommandRunner>.Instance);
        var gate = $"/tmp/opus-channel-gate-{Guid.NewGuid():N}";
        Assert.Equal(0, (await TestCluster.OnAsync("ctl", "touch", gate)).ExitCode);
        try
        {
            // Takes the one channel at once (before RunAsync returns) and keeps it while the gate is there.
            var holder = runner.RunAsync("sh", ["-c", "while [ -e \"$0\" ]; do sleep 0.1; done", gate], null, null, TimeSpan.FromMinutes(10));

            // Its 2 s are spent waiting for the channel: it gives up then, as the manager's other
            // transport failures do (SlurmUnreachableException: a submission stays QUEUED and is tried again).
            var refused = await Assert.ThrowsAsync<SlurmUnreachableException>(
                () => runner.RunAsync("true", [], null, null, TimeSpan.FromSeconds(2)).WaitAsync(Eventually.Bound));
            Assert.Contains($"login node {TestCluster.Login}", refused.Message, StringComparison.Ordinal);
            Assert.Contains("no free channel", refused.Message, StringComparison.Ordinal);
            Assert.False(holder.IsCompleted, $"the command holding the channel ended: {holder.Status}");

            // The busy connection was kept: the holder ends normally, and the channel serves the next command.
            await TestCluster.OnAsync("ctl", "rm", "-f", gate);
            Assert.Equal(0, (await holder.WaitAsync(Eventually.Bound)).ExitCode);
            var next = await runner.RunAsync("echo", ["free"], null, null, TimeSpan.FromSeconds(30));
            Assert.Equal("free", next.Output.Trim());
        }
        finally
        {
            await TestCluster.OnAsync("ctl", "rm", "-f", gate);
        }
    }
}
