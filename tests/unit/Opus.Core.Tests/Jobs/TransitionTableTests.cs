using Opus.Core.Jobs;

namespace Opus.Core.Tests.Jobs;

/// <summary>The transition table, checked exhaustively: every (from, to) pair of the ten phases.</summary>
public sealed class TransitionTableTests
{
    // What UWS 1.1 and Opus allow, written out independently of the table.
    private static readonly HashSet<(JobPhase From, JobPhase To)> Expected =
    [
        (JobPhase.PENDING, JobPhase.QUEUED), (JobPhase.HELD, JobPhase.QUEUED),
        (JobPhase.QUEUED, JobPhase.HELD),
        (JobPhase.QUEUED, JobPhase.EXECUTING), (JobPhase.HELD, JobPhase.EXECUTING), (JobPhase.SUSPENDED, JobPhase.EXECUTING),
        (JobPhase.EXECUTING, JobPhase.SUSPENDED),
        // SLURM requeued a job whose node failed (its definition's resources.requeue).
        (JobPhase.EXECUTING, JobPhase.QUEUED), (JobPhase.SUSPENDED, JobPhase.QUEUED),
        (JobPhase.QUEUED, JobPhase.COMPLETED), (JobPhase.EXECUTING, JobPhase.COMPLETED), (JobPhase.HELD, JobPhase.COMPLETED), (JobPhase.SUSPENDED, JobPhase.COMPLETED),
        (JobPhase.QUEUED, JobPhase.ERROR), (JobPhase.EXECUTING, JobPhase.ERROR), (JobPhase.HELD, JobPhase.ERROR), (JobPhase.SUSPENDED, JobPhase.ERROR),
        (JobPhase.PENDING, JobPhase.ABORTED), (JobPhase.QUEUED, JobPhase.ABORTED), (JobPhase.EXECUTING, JobPhase.ABORTED),
        (JobPhase.HELD, JobPhase.ABORTED), (JobPhase.SUSPENDED, JobPhase.ABORTED),
        // Opus:Destruction=archive, at the destruction time of a job that is not running.
        (JobPhase.PENDING, JobPhase.ARCHIVED), (JobPhase.COMPLETED, JobPhase.ARCHIVED), (JobPhase.ERROR, JobPhase.ARCHIVED), (JobPhase.ABORTED, JobPhase.ARCHIVED),
    ];

    public static TheoryData<JobPhase, JobPhase> EveryPair()
    {
        var data = new TheoryData<JobPhase, JobPhase>();
        foreach (var from in Enum.GetValues<JobPhase>())
        {
            foreach (var to in Enum.GetValues<JobPhase>())
                data.Add(from, to);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void A_change_is_legal_exactly_when_the_table_has_it(JobPhase from, JobPhase to) =>
        Assert.Equal(Expected.Contains((from, to)), JobTransitions.IsLegal(from, to));

    [Fact]
    public void Only_archiving_leaves_a_final_phase_and_every_end_starts_from_an_active_phase()
    {
        foreach (var transition in JobTransitions.All.Where(t => t != JobTransitions.Archive))
        {
            Assert.DoesNotContain(transition.From, phase => phase.IsFinal());
            if (transition.To.IsFinal())
                Assert.All(JobPhases.Active, phase => Assert.Contains(phase, transition.From));
        }

        Assert.Equal([JobTransitions.Complete, JobTransitions.Fail, JobTransitions.Abort],
            [JobTransitions.Ending(JobPhase.COMPLETED), JobTransitions.Ending(JobPhase.ERROR), JobTransitions.Ending(JobPhase.ABORTED)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => JobTransitions.Ending(JobPhase.EXECUTING));
    }

    [Fact]
    public void The_phase_sets_partition_the_phases()
    {
        Assert.Empty(JobPhases.Final.Intersect(JobPhases.Unfinished));
        Assert.Equal(Enum.GetValues<JobPhase>().Except([JobPhase.UNKNOWN]).Order(), JobPhases.Final.Concat(JobPhases.Unfinished).Order());
        Assert.Subset(JobPhases.Active.ToHashSet(), JobPhases.Reconciled.ToHashSet());
        Assert.Equal(JobPhases.Unfinished.Where(p => p != JobPhase.HELD && p != JobPhase.SUSPENDED).Order(), JobPhases.Blocking.Order());
    }
}
