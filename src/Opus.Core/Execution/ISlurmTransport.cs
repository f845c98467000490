using System.Globalization;

namespace Opus.Core.Execution;

/// <summary>
/// How the SLURM manager talks to a cluster (Opus:Slurm:Transport): sbatch, scancel and scontrol here
/// or on a login node over SSH (<see cref="SlurmControl"/>), or slurmrestd (<see cref="SlurmRestTransport"/>).
/// Everything the manager decides (reconcile, abort, recovery after a restart) is the same on each.
/// </summary>
public interface ISlurmTransport
{
    /// <summary>Submits the batch script; returns the SLURM job id.</summary>
    /// <exception cref="InvalidOperationException">SLURM refused the job (the message says why).</exception>
    /// <exception cref="SlurmUnreachableException">The cluster could not be asked; nothing was submitted.</exception>
    Task<string> SubmitAsync(SlurmSubmission submission, CancellationToken cancellationToken = default);

    /// <summary>Cancels the jobs named <paramref name="jobName"/>: only SLURM job <paramref name="slurmId"/> when given.</summary>
    Task CancelAsync(string jobName, string? slurmId, CancellationToken cancellationToken = default);

    /// <summary>Releases a held job.</summary>
    Task ReleaseAsync(string slurmId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The states of the SLURM jobs <paramref name="slurmIds"/> (every job SLURM lists when null); an id
    /// SLURM no longer knows is absent from the answer.
    /// </summary>
    /// <exception cref="SlurmUnreachableException">The cluster could not be asked.</exception>
    Task<IReadOnlyList<SlurmJobState>> QueryAsync(IReadOnlyList<string>? slurmIds, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="SlurmUnreachableException"/> unless the controller answers.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);
}

/// <summary>The cluster (login node, slurmrestd, slurmctld) did not answer: nothing is known, nothing was done.</summary>
public sealed class SlurmUnreachableException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>What one sbatch gets: the batch script's text (given on standard input) and the job's options.</summary>
public sealed record SlurmSubmission(
    string JobName, string Script, string WorkingDirectory, string OutputPath, string ErrorPath,
    SlurmJobOptions Options, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>sbatch's options, each one argument (never a shell string); the script comes on standard input.</summary>
    public List<string> SbatchArguments()
    {
        var arguments = new List<string> { "--parsable", $"--job-name={JobName}" };
        if (Options.TimeMinutes is { } minutes)
            arguments.Add($"--time={Number(minutes)}");
        arguments.Add($"--chdir={WorkingDirectory}");
        arguments.Add($"--output={OutputPath}");
        arguments.Add($"--error={ErrorPath}");
        if (Options.Partition is { } partition)
            arguments.Add($"--partition={partition}");
        if (Options.Nodes is { } nodes)
            arguments.Add($"--nodes={Number(nodes)}");
        if (Options.Tasks is { } tasks)
            arguments.Add($"--ntasks={Number(tasks)}");
        if (Options.CpusPerTask is { } cpus)
            arguments.Add($"--cpus-per-task={Number(cpus)}");
        if (Options.Memory is { } memory)
            arguments.Add($"--mem={memory}");
        if (Options.Gres is { } gres)
            arguments.Add($"--gres={gres}");
        if (Options.Constraint is { } constraint)
            arguments.Add($"--constraint={constraint}");
        if (Options.Account is { } account)
            arguments.Add($"--account={account}");
        if (Options.Qos is { } qos)
            arguments.Add($"--qos={qos}");
        // Always said: a site whose JobRequeue=1 would otherwise run a job again behind the definition's back.
        arguments.Add(Options.Requeue ? "--requeue" : "--no-requeue");
        // sbatch runs with exactly the submission's environment: ALL exports that, nothing of the server's.
        arguments.Add("--export=ALL");
        return arguments;
    }

    /// <summary>
    /// The batch script of a job whose folder the nodes share: runs the runner on it. Paths are single-quoted,
    /// so no character of theirs means anything to the shell.
    /// </summary>
    public static string SharedFolderScript(string runnerPath, string jobDirectory) =>
        $"#!/bin/bash\nexec /bin/bash {ShellQuote(runnerPath)} {ShellQuote(jobDirectory)}\n";

    /// <summary>One shell word that stands for <paramref name="value"/> exactly: single quotes, each ' as '\''.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>SLURM resources of one job, already merged from the definition, the user and the server's defaults.</summary>
public sealed record SlurmJobOptions
{
    public int? TimeMinutes { get; init; }

    public string? Partition { get; init; }

    public int? Nodes { get; init; }

    public int? Tasks { get; init; }

    public int? CpusPerTask { get; init; }

    /// <summary>As sbatch's --mem takes it: a number with an optional K, M, G or T (MiB without).</summary>
    public string? Memory { get; init; }

    public string? Gres { get; init; }

    public string? Constraint { get; init; }

    public string? Account { get; init; }

    public string? Qos { get; init; }

    /// <summary>Whether SLURM runs the job again when its node fails (the definition's resources.requeue).</summary>
    public bool Requeue { get; init; }

    /// <summary><see cref="Memory"/> in MiB (slurmrestd's memory_per_node); null when none is asked for.</summary>
    public long? MemoryMegabytes()
    {
        if (Memory is not { Length: > 0 } memory)
            return null;
        var unit = char.ToUpperInvariant(memory[^1]);
        var digits = char.IsAsciiDigit(unit) ? memory : memory[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            throw new InvalidOperationException($"memory '{memory}' is not a number with an optional K, M, G or T");
        return unit switch
        {
            'K' => Math.Max(1, amount / 1024),
            'G' => amount * 1024,
            'T' => amount * 1024 * 1024,
            _ => amount,
        };
    }
}
