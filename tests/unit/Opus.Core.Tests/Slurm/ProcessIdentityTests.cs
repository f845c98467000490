using Opus.Core.Execution;

namespace Opus.Core.Tests.Slurm;

/// <summary>How a server process tells its own jobs from a live neighbour's and from those of a process that died.</summary>
public sealed class ProcessIdentityTests
{
    [Fact]
    public void This_process_is_alive_and_fits_in_a_manager_handle()
    {
        Assert.Equal(ProcessIdentity.Liveness.Alive, ProcessIdentity.Check(ProcessIdentity.Current));
        Assert.True(LocalHandle.Running(4194304, ProcessIdentity.Current).Length <= 64);
    }

    [Fact]
    public void A_process_that_is_gone_or_was_restarted_is_dead()
    {
        var parts = ProcessIdentity.Current.Split('/');
        // Same pid, other start time: the pid was reused after the owner died.
        Assert.Equal(ProcessIdentity.Liveness.Dead, ProcessIdentity.Check($"{parts[0]}/{parts[1]}/{parts[2]}/1"));
        // Another boot of this machine.
        Assert.Equal(ProcessIdentity.Liveness.Dead, ProcessIdentity.Check($"{parts[0]}/00000000/{parts[2]}/{parts[3]}"));
        Assert.Equal(ProcessIdentity.Liveness.Dead, ProcessIdentity.Check("garbage"));
    }

    [Fact]
    public void A_process_of_another_machine_is_not_ours_to_judge() =>
        Assert.Equal(ProcessIdentity.Liveness.Elsewhere, ProcessIdentity.Check("another-host/12345678/42/1000"));

    [Fact]
    public void Handles_read_back()
    {
        Assert.Equal(new LocalHandle(123, "h/b/1/2"), LocalHandle.Parse(LocalHandle.Running(123, "h/b/1/2")));
        Assert.Equal(new LocalHandle(null, "h/b/1/2"), LocalHandle.Parse(LocalHandle.Starting("h/b/1/2")));
        // A handle written before owners were recorded: the process group alone.
        Assert.Equal(new LocalHandle(4711, null), LocalHandle.Parse("4711"));
        Assert.Null(LocalHandle.Parse(null));
    }
}
