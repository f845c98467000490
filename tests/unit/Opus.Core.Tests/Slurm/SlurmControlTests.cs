using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core.Definitions;
using Opus.Core.Execution;
using Opus.Core.Jobs;

namespace Opus.Core.Tests.Slurm;

/// <summary>The exact SLURM commands the manager runs, checked with a command runner that only records.</summary>
public sealed class SlurmControlTests
{
    private sealed class RecordingRunner(params CommandResult[] answers) : ICommandRunner
    {
        private int _next;

        public List<(string Program, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string>? Environment, string? Input)> Calls { get; } = [];

        public Task<CommandResult> RunAsync(
            string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, TimeSpan timeout,
            CancellationToken cancellationToken = default)
        {
            Calls.Add((program, arguments.ToList(), environment, input));
            return Task.FromResult(_next < answers.Length ? answers[_next++] : new CommandResult(0, "", ""));
        }
    }

    private static Job NewJob(string id = "abc234", int executionDuration = 90) => new()
    {
        Id = id,
        Definition = "copy",
        DefinitionVersion = "1",
        ExecutionDuration = executionDuration,
    };

    private static SlurmControl Control(RecordingRunner runner, SlurmOptions? slurm = null) =>
        new(new OpusOptions { Slurm = slurm ?? new SlurmOptions() }, runner, NullLogger<SlurmControl>.Instance);

    private static SlurmSubmission Submission(Job job, JobResources? resources = null, SlurmOptions? slurm = null, string directory = "/j") =>
        SlurmControl.Submission(job, resources, slurm ?? new SlurmOptions(), directory, $"{directory}/runner.sh");

    private static async Task<SlurmJobState?> ShowAsync(SlurmControl control, string jobId, string slurmId) =>
        (await control.QueryAsync([slurmId])).FirstOrDefault(s => s.JobName == SlurmControl.JobName(jobId));

    [Fact]
    public async Task Sbatch_gets_the_runner_the_job_directory_and_a_time_limit_rounded_up_to_minutes()
    {
        var runner = new RecordingRunner(new CommandResult(0, "4711\n", ""));
        var id = await Control(runner).SubmitAsync(Submission(NewJob(), directory: "/data/jobs/abc'234"));

        Assert.Equal("4711", id);
        var (program, arguments, environment, input) = Assert.Single(runner.Calls);
        Assert.Equal("sbatch", program);
        Assert.Equal(
            [
                "--parsable", "--job-name=opus-abc234", "--time=2", "--chdir=/data/jobs/abc'234",
                "--output=/data/jobs/abc'234/slurm.out", "--error=/data/jobs/abc'234/slurm.err", "--no-requeue", "--export=ALL",
            ],
            arguments);
        // The batch script comes on standard input: it runs the runner on the job folder, both single-quoted.
        Assert.Equal("#!/bin/bash\nexec /bin/bash '/data/jobs/abc'\\''234/runner.sh' '/data/jobs/abc'\\''234'\n", input);
        // sbatch (and so the job, through --export=ALL) sees a small environment, nothing of the server's.
        Assert.NotNull(environment);
        Assert.Equal("/data/jobs/abc'234", environment["HOME"]);
        Assert.Equal("/data/jobs/abc'234", environment["TMPDIR"]);
        Assert.Equal("/usr/local/bin:/usr/bin:/bin", environment["PATH"]);
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("OPUS", StringComparison.Ordinal) || k.StartsWith("DOTNET", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(59, 1)]
    [InlineData(60, 1)]
    [InlineData(61, 2)]
    [InlineData(3600, 60)]
    [InlineData(3601, 61)]
    public void Time_limits_are_whole_minutes_rounded_up(int seconds, int minutes) =>
        Assert.Equal(minutes, SlurmControl.TimeLimitMinutes(seconds));

    [Fact]
    public void No_execution_duration_means_no_time_limit()
    {
        Assert.Null(SlurmControl.TimeLimitMinutes(0));
        var arguments = Submission(NewJob(executionDuration: 0)).SbatchArguments();
        Assert.DoesNotContain(arguments, a => a.StartsWith("--time", StringComparison.Ordinal));
    }

    [Fact]
    public void The_definition_resources_win_over_the_server_settings()
    {
        var server = new SlurmOptions { Partition = "batch", Cpus = 2, Memory = "1G" };
        var definition = new JobResources { Partition = "gpu", Cpus = 8, Memory = "16G" };
        var arguments = Submission(NewJob(), definition, server).SbatchArguments();
        Assert.Equal(
            ["--parsable", "--job-name=opus-abc234", "--time=2", "--chdir=/j", "--output=/j/slurm.out", "--error=/j/slurm.err",
             "--partition=gpu", "--cpus-per-task=8", "--mem=16G", "--no-requeue", "--export=ALL"],
            arguments);
    }

    [Fact]
    public void Every_SLURM_option_of_a_definition_becomes_one_sbatch_argument()
    {
        var definition = new JobResources { Nodes = 2, Tasks = 4, Cpus = 3, Gres = "gpu:1", Constraint = "n1", Account = "$(x)", Qos = "high" };
        var arguments = Submission(NewJob(), definition, new SlurmOptions { Account = "server", Qos = "low" }).SbatchArguments();
        Assert.Equal(
            ["--parsable", "--job-name=opus-abc234", "--time=2", "--chdir=/j", "--output=/j/slurm.out", "--error=/j/slurm.err",
             "--nodes=2", "--ntasks=4", "--cpus-per-task=3", "--gres=gpu:1", "--constraint=n1", "--account=$(x)", "--qos=high", "--no-requeue", "--export=ALL"],
            arguments);
        Assert.Contains("--account=server", Submission(NewJob(), null, new SlurmOptions { Account = "server" }).SbatchArguments());
    }

    [Fact]
    public void Only_a_definition_that_allows_it_is_requeued_when_its_node_fails()
    {
        Assert.Contains("--requeue", Submission(NewJob(), new JobResources { Requeue = true }).SbatchArguments());
        Assert.Contains("--no-requeue", Submission(NewJob(), new JobResources { Requeue = false }).SbatchArguments());
        Assert.DoesNotContain("--requeue", Submission(NewJob(), null).SbatchArguments());
    }

    [Fact]
    public void Slurm_parameters_the_definition_declares_win_and_others_are_ignored()
    {
        var job = NewJob();
        job.Parameters = [new("slurm_cpus_per_task", "4"), new("slurm_constraint", "n2"), new("slurm_qos", "$(x)"), new("text", "t")];
        var definition = new JobResources { Cpus = 1, Constraint = "n1", Qos = "normal" };
        var arguments = Submission(job, definition).SbatchArguments();
        Assert.Contains("--cpus-per-task=1", arguments);
        Assert.Contains("--constraint=n1", arguments);

        arguments = SlurmControl.Submission(job, definition, new SlurmOptions(), "/j", "/j/runner.sh", ["slurm_cpus_per_task", "slurm_constraint"]).SbatchArguments();
        Assert.Contains("--cpus-per-task=4", arguments);
        Assert.Contains("--constraint=n2", arguments);
        // slurm_qos is not one the definition lets users set: the definition's stays.
        Assert.Contains("--qos=normal", arguments);
    }

    [Fact]
    public void The_account_is_the_jobs_then_the_owners_then_the_definitions_then_the_servers()
    {
        string? Account(Job job, string? owner, JobResources? definition, SlurmOptions server, IReadOnlyCollection<string>? userSettable) =>
            SlurmControl.Submission(job, definition, server, "/j", "/j/runner.sh", userSettable, ownerAccount: owner).SbatchArguments()
                .Where(a => a.StartsWith("--account=", StringComparison.Ordinal)).Select(a => a["--account=".Length..]).SingleOrDefault();
        var job = NewJob();
        job.Parameters = [new("slurm_account", "job-acct")];
        var definition = new JobResources { Account = "definition-acct" };
        var server = new SlurmOptions { Account = "server-acct" };
        string[] settable = ["slurm_account"];

        Assert.Equal("job-acct", Account(job, "owner-acct", definition, server, settable));
        // A slurm_account the definition does not let users set is ignored: the owner's comes next.
        Assert.Equal("owner-acct", Account(job, "owner-acct", definition, server, null));
        Assert.Equal("owner-acct", Account(NewJob(), "owner-acct", definition, server, settable));
        Assert.Equal("definition-acct", Account(NewJob(), null, definition, server, settable));
        Assert.Equal("definition-acct", Account(NewJob(), "", definition, server, settable));
        Assert.Equal("server-acct", Account(NewJob(), null, null, server, settable));
        Assert.Null(Account(NewJob(), null, null, new SlurmOptions(), settable));
    }

    [Fact]
    public void The_server_settings_apply_when_the_definition_gives_none()
    {
        var server = new SlurmOptions { Partition = "batch", Cpus = 2, Memory = "1G" };
        var arguments = Submission(NewJob(), new JobResources { Manager = "slurm" }, server).SbatchArguments();
        Assert.Contains("--partition=batch", arguments);
        Assert.Contains("--cpus-per-task=2", arguments);
        Assert.Contains("--mem=1G", arguments);
    }

    [Fact]
    public async Task A_cluster_suffix_after_the_id_is_dropped()
    {
        var runner = new RecordingRunner(new CommandResult(0, "12;ci\n", ""));
        Assert.Equal("12", await Control(runner).SubmitAsync(Submission(NewJob())));
    }

    [Fact]
    public async Task A_refused_submission_says_what_sbatch_said()
    {
        var runner = new RecordingRunner(new CommandResult(1, "", "sbatch: error: invalid partition specified: nope\n"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Control(runner).SubmitAsync(Submission(NewJob())));
        Assert.Equal("SLURM refused the job: sbatch: error: invalid partition specified: nope", error.Message);
    }

    [Fact]
    public async Task Scancel_names_the_job_so_that_a_reused_id_of_a_rebuilt_cluster_is_never_cancelled()
    {
        var runner = new RecordingRunner();
        await Control(runner).CancelAsync("opus-abc234", "17");
        await Control(runner).CancelAsync("opus-abc234", null);
        Assert.Equal("scancel", runner.Calls[0].Program);
        Assert.Equal(["--name=opus-abc234", "17"], runner.Calls[0].Arguments);
        Assert.Equal(["--name=opus-abc234"], runner.Calls[1].Arguments);
    }

    [Fact]
    public async Task The_SLURM_bin_folder_can_be_configured()
    {
        var runner = new RecordingRunner(new CommandResult(0, "3", ""));
        await Control(runner, new SlurmOptions { BinPath = "/opt/slurm/bin" }).SubmitAsync(Submission(NewJob()));
        Assert.Equal("/opt/slurm/bin/sbatch", runner.Calls[0].Program);
    }

    [Fact]
    public async Task Scontrol_show_job_is_trusted_only_for_the_job_of_that_name()
    {
        const string line = "JobId=17 JobName=opus-abc234 UserId=root(0) JobState=RUNNING Reason=None ExitCode=0:0 TimeLimit=00:02:00 WorkDir=/data/my jobs/abc234";
        var runner = new RecordingRunner(new CommandResult(0, line + "\n", ""), new CommandResult(0, line + "\n", ""));
        var control = Control(runner);

        var state = await ShowAsync(control, "abc234", "17");
        Assert.Equal(new SlurmJobState("17", "opus-abc234", "RUNNING", "None", "0:0", "00:02:00"), state);
        Assert.Equal(["show", "job", "-o", "17"], runner.Calls[0].Arguments);
        Assert.Equal("scontrol", runner.Calls[0].Program);
        // Id 17 of a rebuilt cluster belongs to another job.
        Assert.Null(await ShowAsync(control, "zzz999", "17"));
    }

    [Fact]
    public async Task A_job_SLURM_forgot_is_null_and_a_SLURM_that_does_not_answer_is_an_error()
    {
        var runner = new RecordingRunner(
            new CommandResult(1, "", "slurm_load_jobs error: Invalid job id specified\n"),
            new CommandResult(1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n"));
        var control = Control(runner);
        Assert.Null(await ShowAsync(control, "abc234", "99"));
        // Out of reach is told apart from a refusal: the job stays as it is and the cluster counts as unreachable.
        var error = await Assert.ThrowsAsync<SlurmUnreachableException>(() => ShowAsync(control, "abc234", "99"));
        Assert.Contains("Unable to contact slurm controller", error.Message);
    }

    [Fact]
    public void A_remote_command_line_is_words_the_shell_never_expands()
    {
        var line = SshCommandRunner.CommandLine("sbatch", ["--account=$(touch /tmp/pwned)", "--qos=a'b;c"], new Dictionary<string, string> { ["HOME"] = "/j`id`" });
        Assert.Equal("'env' '-i' 'HOME=/j`id`' 'sbatch' '--account=$(touch /tmp/pwned)' '--qos=a'\\''b;c'", line);
    }

    [Theory]
    [InlineData("512", 512L)]
    [InlineData("2G", 2048L)]
    [InlineData("1T", 1048576L)]
    [InlineData("4096K", 4L)]
    public void Memory_becomes_megabytes_for_slurmrestd(string memory, long megabytes) =>
        Assert.Equal(megabytes, new SlurmJobOptions { Memory = memory }.MemoryMegabytes());

    [Fact]
    public void Values_with_spaces_do_not_break_the_fields_before_them()
    {
        var jobs = SlurmJobState.Parse(
            "JobId=1 JobName=opus-a JobState=COMPLETED Reason=None ExitCode=0:0 TimeLimit=UNLIMITED StdOut=/x y/slurm.out Power=\n" +
            "No jobs in the system\n" +
            "JobId=2 JobName=opus b JobState=PENDING Reason=JobHeldUser ExitCode=0:0\n");
        Assert.Equal(2, jobs.Count);
        Assert.Equal(new SlurmJobState("1", "opus-a", "COMPLETED", "None", "0:0", "UNLIMITED"), jobs[0]);
        Assert.Equal("opus b", jobs[1].JobName);
    }

    [Fact]
    public void A_job_pending_again_after_a_restart_is_requeued()
    {
        var jobs = SlurmJobState.Parse("JobId=7 JobName=opus-a JobState=PENDING Reason=BeginTime Requeue=1 Restarts=1 ExitCode=0:0\n");
        Assert.Equal(1, jobs[0].Restarts);
        Assert.True(jobs[0].IsRequeued);
        Assert.False((jobs[0] with { Restarts = 0 }).IsRequeued);
        Assert.False((jobs[0] with { State = "RUNNING" }).IsRequeued);
    }

    [Theory]
    [InlineData("PENDING", "Priority", "0:0", JobPhase.QUEUED, null)]
    [InlineData("PENDING", "PartitionDown", "0:0", JobPhase.QUEUED, null)]
    [InlineData("PENDING", "JobHeldUser", "0:0", JobPhase.HELD, null)]
    [InlineData("PENDING", "JobHeldAdmin", "0:0", JobPhase.HELD, null)]
    [InlineData("REQUEUE_HOLD", "None", "0:0", JobPhase.HELD, null)]
    [InlineData("CONFIGURING", "None", "0:0", JobPhase.QUEUED, null)]
    [InlineData("RUNNING", "None", "0:0", JobPhase.EXECUTING, null)]
    [InlineData("SUSPENDED", "None", "0:0", JobPhase.SUSPENDED, null)]
    [InlineData("COMPLETED", "None", "0:0", JobPhase.COMPLETED, null)]
    [InlineData("CANCELLED", "None", "0:15", JobPhase.ABORTED, null)]
    [InlineData("FAILED", "NonZeroExitCode", "3:0", JobPhase.ERROR, "the job failed in SLURM (exit status 3, reason NonZeroExitCode)")]
    [InlineData("FAILED", "JobLaunchFailure", "0:53", JobPhase.ERROR, "the job failed in SLURM (killed by signal 53, reason JobLaunchFailure)")]
    [InlineData("NODE_FAIL", "None", "0:0", JobPhase.ERROR, "the node running the job failed (SLURM NODE_FAIL)")]
    [InlineData("OUT_OF_MEMORY", "None", "0:125", JobPhase.ERROR, "the job ran out of memory (SLURM OUT_OF_MEMORY)")]
    [InlineData("TIMEOUT", "TimeLimit", "0:15", JobPhase.ERROR, "the time limit of 00:01:00 was reached; SLURM stopped the job (TIMEOUT)")]
    public void SLURM_states_map_to_UWS_phases(string state, string reason, string exitCode, JobPhase phase, string? message)
    {
        var mapped = new SlurmJobState("1", "opus-a", state, reason, exitCode, "00:01:00").ToUws();
        Assert.Equal((phase, message), mapped);
    }

    [Fact]
    public void A_job_still_completing_says_nothing_yet()
    {
        var completing = new SlurmJobState("1", "opus-a", "COMPLETING", "None", "0:0", null);
        Assert.Null(completing.ToUws());
        Assert.False(completing.IsFinal);
    }
}
