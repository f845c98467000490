using System.Globalization;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// The SLURM client commands Opus uses: sbatch, scancel, scontrol. A SLURM job id is only a handle:
/// ids start again at 1 when a cluster is rebuilt, so every job is also named opus-&lt;job id&gt; and
/// the name is checked before an id is trusted.
/// </summary>
public sealed class SlurmControl(OpusOptions options, ICommandRunner commands, ILogger<SlurmControl> logger)
{
    private SlurmOptions Slurm => options.Slurm;

    public static string JobName(string jobId) => $"opus-{jobId}";

    /// <summary>SLURM time limits are whole minutes: an execution duration is rounded up (90 s gives 2 minutes); 0 = no limit.</summary>
    public static int? TimeLimitMinutes(int executionDurationSeconds) =>
        executionDurationSeconds <= 0 ? null : (executionDurationSeconds + 59) / 60;

    /// <summary>
    /// The sbatch arguments for a job: the runner as the batch script, the job directory as its working
    /// directory and argument; resources from the definition, else the server's SLURM settings.
    /// </summary>
    /// <remarks>
    /// <paramref name="staged"/> (Opus:Slurm:Staging=http): <paramref name="runnerPath"/> is the staged batch script, which
    /// takes no argument and makes its own folder; <paramref name="jobDirectory"/> is a node folder; SLURM's own output is dropped.
    /// </remarks>
    public static List<string> SubmitArguments(Job job, JobResources? resources, SlurmOptions slurm, string jobDirectory, string runnerPath, bool staged = false)
    {
        var arguments = new List<string>
        {
            "--parsable",
            $"--job-name={JobName(job.Id)}",
        };
        if (TimeLimitMinutes(job.ExecutionDuration) is { } minutes)
            arguments.Add($"--time={minutes.ToString(CultureInfo.InvariantCulture)}");
        arguments.Add($"--chdir={jobDirectory}");
        arguments.Add($"--output={(staged ? "/dev/null" : Path.Combine(jobDirectory, "slurm.out"))}");
        arguments.Add($"--error={(staged ? "/dev/null" : Path.Combine(jobDirectory, "slurm.err"))}");
        if ((Text(resources?.Partition) ?? Text(slurm.Partition)) is { } partition)
            arguments.Add($"--partition={partition}");
        if ((resources?.Cpus ?? slurm.Cpus) is { } cpus and > 0)
            arguments.Add($"--cpus-per-task={cpus.ToString(CultureInfo.InvariantCulture)}");
        if ((Text(resources?.Memory) ?? Text(slurm.Memory)) is { } memory)
            arguments.Add($"--mem={memory}");
        // sbatch itself runs with the small job environment (JobEnvironment): ALL exports exactly that,
        // nothing of the server's. The runner reads the job's variables from job.env.
        arguments.Add("--export=ALL");
        arguments.Add(runnerPath);
        if (!staged)
            arguments.Add(jobDirectory);
        return arguments;
    }

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

    /// <summary>Submits the runner; returns the SLURM job id. Throws <see cref="InvalidOperationException"/> with sbatch's message when refused.</summary>
    public async Task<string> SubmitAsync(Job job, JobResources? resources, string jobDirectory, string runnerPath, bool staged = false, CancellationToken cancellationToken = default)
    {
        var arguments = SubmitArguments(job, resources, Slurm, jobDirectory, runnerPath, staged);
        if (TimeLimitMinutes(job.ExecutionDuration) is { } minutes && minutes * 60 != job.ExecutionDuration)
            logger.LogInformation("Job {JobId}: execution duration {Seconds} s becomes --time={Minutes} (SLURM limits are whole minutes, rounded up)",
                job.Id, job.ExecutionDuration, minutes);
        var result = await RunAsync("sbatch", arguments, JobEnvironment(jobDirectory, staged), cancellationToken);
        // --parsable prints "id" or "id;cluster".
        var id = result.Output.Trim().Split(';')[0];
        if (!result.Succeeded || id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new InvalidOperationException($"SLURM refused the job: {OneLine(result.Error, result.Output)}");
        return id;
    }

    /// <summary>Cancels the job named after <paramref name="jobId"/>: only the SLURM job <paramref name="slurmId"/> when given, else any of that name.</summary>
    public async Task CancelAsync(string jobId, string? slurmId, CancellationToken cancellationToken = default)
    {
        var arguments = new List<string> { $"--name={JobName(jobId)}" };
        if (slurmId is not null)
            arguments.Add(slurmId);
        var result = await RunAsync("scancel", arguments, null, cancellationToken);
        if (!result.Succeeded)
            logger.LogWarning("Job {JobId}: scancel failed: {Message}", jobId, OneLine(result.Error, result.Output));
    }

    /// <summary>Releases a held job (scontrol release).</summary>
    public async Task ReleaseAsync(string slurmId, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scontrol", ["release", slurmId], null, cancellationToken);
        if (!result.Succeeded)
            throw new InvalidOperationException($"SLURM did not release job {slurmId}: {OneLine(result.Error, result.Output)}");
    }

    /// <summary>The SLURM job <paramref name="slurmId"/> if it is Opus job <paramref name="jobId"/>; null when SLURM does not know it (any more).</summary>
    public async Task<SlurmJobState?> ShowAsync(string jobId, string slurmId, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scontrol", ["show", "job", "-o", slurmId], null, cancellationToken);
        if (!result.Succeeded)
        {
            if (result.Error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
                return null;
            throw new InvalidOperationException($"scontrol show job {slurmId} failed: {OneLine(result.Error, result.Output)}");
        }

        return SlurmJobState.Parse(result.Output).FirstOrDefault(j => j.JobId == slurmId && j.JobName == JobName(jobId));
    }

    /// <summary>Every job SLURM still lists (finished ones for MinJobAge). Throws when SLURM cannot be asked.</summary>
    public async Task<IReadOnlyList<SlurmJobState>> ShowAllAsync(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scontrol", ["show", "job", "-o"], null, cancellationToken);
        if (!result.Succeeded)
            throw new InvalidOperationException($"scontrol show job failed: {OneLine(result.Error, result.Output)}");
        return SlurmJobState.Parse(result.Output);
    }

    /// <summary>Null when the SLURM controller answers scontrol ping; otherwise why not, in one line.</summary>
    public async Task<string?> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await RunAsync("scontrol", ["ping"], null, cancellationToken);
            return result.Succeeded && result.Output.Contains(" is UP", StringComparison.Ordinal) && !result.Output.Contains("DOWN", StringComparison.Ordinal)
                ? null
                : $"scontrol ping: {OneLine(result.Error, result.Output)}";
        }
        catch (InvalidOperationException e)
        {
            return $"scontrol ping: {e.Message}";
        }
    }

    private Task<CommandResult> RunAsync(string command, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var program = string.IsNullOrEmpty(Slurm.BinPath) ? command : Path.Combine(Slurm.BinPath, command);
        return commands.RunAsync(program, arguments, environment, Slurm.CommandTimeout, cancellationToken);
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string OneLine(string error, string output)
    {
        var text = (error.Trim().Length > 0 ? error : output).Trim().ReplaceLineEndings(" | ");
        return text.Length == 0 ? "no message" : text.Length > 500 ? text[..500] : text;
    }
}
