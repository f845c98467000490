using System.Globalization;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// The SLURM client commands Opus uses: sbatch, scancel, scontrol, run by <paramref name="commands"/>: on
/// this host (Opus:Slurm:Transport=local) or on a login node over SSH (ssh). A SLURM job id is only a
/// handle: ids start again at 1 when a cluster is rebuilt, so every job is also named opus-&lt;job id&gt;
/// and the name is checked before an id is trusted.
/// </summary>
public sealed class SlurmControl(OpusOptions options, ICommandRunner commands, ILogger<SlurmControl> logger) : ISlurmTransport
{
    private SlurmOptions Slurm => options.Slurm;

    public static string JobName(string jobId) => $"opus-{jobId}";

    /// <summary>SLURM time limits are whole minutes: an execution duration is rounded up (90 s gives 2 minutes); 0 = no limit.</summary>
    public static int? TimeLimitMinutes(int executionDurationSeconds) =>
        executionDurationSeconds <= 0 ? null : (executionDurationSeconds + 59) / 60;

    /// <summary>
    /// SLURM options a definition lets its users set: a parameter of one of these names (OPUS's slurm_*
    /// control parameters), with the type, limits and options of any parameter, checked as any parameter is.
    /// </summary>
    public static readonly IReadOnlyList<string> UserOptions =
        ["slurm_partition", "slurm_nodes", "slurm_ntasks", "slurm_cpus_per_task", "slurm_mem", "slurm_gres", "slurm_constraint", "slurm_account", "slurm_qos"];

    /// <summary>
    /// The submission of a job whose folder the nodes share: the runner as the batch script, the job directory
    /// as its working directory and argument; options from the job's slurm_* parameters the definition declares
    /// (<paramref name="userSettable"/>), else the definition's resources, else the server's SLURM settings.
    /// With <paramref name="stagedScript"/> (Opus:Slurm:Staging=http) that script is the batch script, run from the
    /// node folder <paramref name="jobDirectory"/>, and <paramref name="runnerPath"/> is not used.
    /// The account is the job's slurm_account, else the owner's <paramref name="ownerAccount"/> (so fair-share
    /// follows the person), else the definition's, else the server's.
    /// </summary>
    public static SlurmSubmission Submission(
        Job job, JobResources? resources, SlurmOptions slurm, string jobDirectory, string runnerPath, IReadOnlyCollection<string>? userSettable = null,
        string? stagedScript = null, string? ownerAccount = null)
    {
        var staged = stagedScript is not null;
        string? User(string name) =>
            userSettable is not null && userSettable.Contains(name)
                ? Text(job.Parameters.FirstOrDefault(p => p.Name == name && !p.ByReference)?.Value)
                : null;
        int? UserNumber(string name) =>
            User(name) is not { } text ? null
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 ? number
            : throw new InvalidOperationException($"{name}: '{text}' is not a positive whole number");
        var defaults = Defaults(job, resources, slurm);
        // SLURM's own output goes to the shared job folder; a staged job's node has no such folder to keep it in.
        return new(JobName(job.Id), stagedScript ?? SlurmSubmission.SharedFolderScript(runnerPath, jobDirectory), jobDirectory,
            staged ? "/dev/null" : Path.Combine(jobDirectory, "slurm.out"), staged ? "/dev/null" : Path.Combine(jobDirectory, "slurm.err"),
            defaults with
            {
                Partition = User("slurm_partition") ?? defaults.Partition,
                Nodes = UserNumber("slurm_nodes") ?? defaults.Nodes,
                Tasks = UserNumber("slurm_ntasks") ?? defaults.Tasks,
                CpusPerTask = UserNumber("slurm_cpus_per_task") ?? defaults.CpusPerTask,
                Memory = User("slurm_mem") ?? defaults.Memory,
                Gres = User("slurm_gres") ?? defaults.Gres,
                Constraint = User("slurm_constraint") ?? defaults.Constraint,
                Account = User("slurm_account") ?? Text(ownerAccount) ?? defaults.Account,
                Qos = User("slurm_qos") ?? defaults.Qos,
            },
            JobEnvironment(jobDirectory, staged));
    }

    /// <summary>The definition's resources, else the server's settings.</summary>
    private static SlurmJobOptions Defaults(Job job, JobResources? resources, SlurmOptions slurm) => new()
    {
        TimeMinutes = TimeLimitMinutes(job.ExecutionDuration),
        Partition = Text(resources?.Partition) ?? Text(slurm.Partition),
        CpusPerTask = (resources?.Cpus ?? slurm.Cpus) is { } cpus and > 0 ? cpus : null,
        Memory = Text(resources?.Memory) ?? Text(slurm.Memory),
        Nodes = resources?.Nodes,
        Tasks = resources?.Tasks,
        Gres = Text(resources?.Gres),
        Constraint = Text(resources?.Constraint),
        Account = Text(resources?.Account) ?? Text(slurm.Account),
        Qos = Text(resources?.Qos) ?? Text(slurm.Qos),
        Requeue = resources?.Requeue == true,
    };

    /// <summary>The environment of sbatch, and so of the job: the same small one the local manager gives.</summary>
    /// <remarks>Staged jobs get neither HOME nor TMPDIR from here: the server's folders do not exist on the node.</remarks>
    public static Dictionary<string, string> JobEnvironment(string jobDirectory, bool staged = false)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
        };
        if (!staged)
        {
            environment["HOME"] = jobDirectory;
            environment["TMPDIR"] = jobDirectory;
        }

        // A site whose slurm.conf is not in the default place tells its clients with SLURM_CONF.
        if (Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } conf)
            environment["SLURM_CONF"] = conf;
        return environment;
    }

    public async Task<string> SubmitAsync(SlurmSubmission submission, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("sbatch", submission.SbatchArguments(), submission.Environment, submission.Script, cancellationToken);
        // --parsable prints "id" or "id;cluster".
        var id = result.Output.Trim().Split(';')[0];
        if (!result.Succeeded || id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw Failure(result, "SLURM refused the job");
        return id;
    }

    public async Task CancelAsync(string jobName, string? slurmId, CancellationToken cancellationToken = default)
    {
        var arguments = new List<string> { $"--name={jobName}" };
        if (slurmId is not null)
            arguments.Add(slurmId);
        var result = await RunAsync("scancel", arguments, null, null, cancellationToken);
        if (!result.Succeeded)
            logger.LogWarning("{JobName}: scancel failed: {Message}", jobName, OneLine(result.Error, result.Output));
    }

    public async Task ReleaseAsync(string slurmId, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scontrol", ["release", slurmId], null, null, cancellationToken);
        if (!result.Succeeded)
            throw new InvalidOperationException($"SLURM did not release job {slurmId}: {OneLine(result.Error, result.Output)}");
    }

    public async Task<IReadOnlyList<SlurmJobState>> QueryAsync(IReadOnlyList<string>? slurmIds, CancellationToken cancellationToken = default)
    {
        // One id: ask for that one (an unknown id is an error of scontrol's); several: one listing of all.
        if (slurmIds is [var only])
        {
            var one = await RunAsync("scontrol", ["show", "job", "-o", only], null, null, cancellationToken);
            if (!one.Succeeded)
            {
                if (one.Error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
                    return [];
                throw Failure(one, $"scontrol show job {only} failed");
            }

            return SlurmJobState.Parse(one.Output).Where(j => j.JobId == only).ToList();
        }

        var result = await RunAsync("scontrol", ["show", "job", "-o"], null, null, cancellationToken);
        if (!result.Succeeded)
            throw Failure(result, "scontrol show job failed");
        var all = SlurmJobState.Parse(result.Output);
        return slurmIds is null ? all : all.Where(j => slurmIds.Contains(j.JobId)).ToList();
    }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scontrol", ["ping"], null, null, cancellationToken);
        if (!result.Succeeded)
            throw new SlurmUnreachableException($"slurmctld does not answer: {OneLine(result.Error, result.Output)}");
    }

    private Task<CommandResult> RunAsync(
        string command, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string? input, CancellationToken cancellationToken)
    {
        var program = string.IsNullOrEmpty(Slurm.BinPath) ? command : Path.Combine(Slurm.BinPath, command);
        return commands.RunAsync(program, arguments, environment, input, Slurm.CommandTimeout, cancellationToken);
    }
    /// <summary>A command's failure; slurmctld out of reach is told apart: nothing happened, try again later.</summary>
    private static InvalidOperationException Failure(CommandResult result, string what)
    {
        var message = $"{what}: {OneLine(result.Error, result.Output)}";
        return result.Error.Contains("Unable to contact slurm controller", StringComparison.OrdinalIgnoreCase)
            ? new SlurmUnreachableException(message)
            : new InvalidOperationException(message);
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string OneLine(string error, string output)
    {
        var text = (error.Trim().Length > 0 ? error : output).Trim().ReplaceLineEndings(" | ");
        return text.Length == 0 ? "no message" : text.Length > 500 ? text[..500] : text;
    }
}
