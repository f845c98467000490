using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Configuration section Opus:Local:Limits: what a local job gets when its definition asks nothing
/// (Default*), and the most it gets whatever it asks (Max*). Sizes are written as SLURM writes memory.
/// </summary>
public sealed class LocalLimits
{
    public string DefaultMemory { get; set; } = "4G";
    public string MaxMemory { get; set; } = "16G";

    /// <summary>CPU seconds per process: a day by default, as the wall-clock execution duration bounds most jobs first.</summary>
    public int DefaultCpuTime { get; set; } = 86400;
    public int MaxCpuTime { get; set; } = 604800;

    /// <summary>Processes and threads of one job at once.</summary>
    public int DefaultProcesses { get; set; } = 512;
    public int MaxProcesses { get; set; } = 4096;

    /// <summary>What a job may write to its folder: each file, and all of them at collection.</summary>
    public string DefaultOutputSize { get; set; } = "10G";
    public string MaxOutputSize { get; set; } = "100G";

    /// <summary>Every rule of the section, each failure one line naming its key.</summary>
    public List<string> Check()
    {
        const string key = "Opus:Local:Limits:";
        var failures = new List<string>();
        void Size(string name, string value, string maxName, string max)
        {
            if (JobLimitValues.SizeProblem(value) is { } problem)
                failures.Add($"{key}{name}: {problem}");
            else if (name != maxName && JobLimitValues.ParseSize(max) is { } top && JobLimitValues.ParseSize(value) > top)
                failures.Add($"{key}{name}: {value} is above {key}{maxName} ({max})");
        }

        void Count(string name, int value, int bound, string maxName, int max)
        {
            if (value < 1 || value > bound)
                failures.Add($"{key}{name}: {value} is not between 1 and {bound}");
            else if (name != maxName && value > max)
                failures.Add($"{key}{name}: {value} is above {key}{maxName} ({max})");
        }

        Size(nameof(MaxMemory), MaxMemory, nameof(MaxMemory), MaxMemory);
        Size(nameof(DefaultMemory), DefaultMemory, nameof(MaxMemory), MaxMemory);
        Size(nameof(MaxOutputSize), MaxOutputSize, nameof(MaxOutputSize), MaxOutputSize);
        Size(nameof(DefaultOutputSize), DefaultOutputSize, nameof(MaxOutputSize), MaxOutputSize);
        Count(nameof(MaxCpuTime), MaxCpuTime, JobLimitValues.MaxCpuSeconds, nameof(MaxCpuTime), MaxCpuTime);
        Count(nameof(DefaultCpuTime), DefaultCpuTime, JobLimitValues.MaxCpuSeconds, nameof(MaxCpuTime), MaxCpuTime);
        Count(nameof(MaxProcesses), MaxProcesses, JobLimitValues.MaxProcessCount, nameof(MaxProcesses), MaxProcesses);
        Count(nameof(DefaultProcesses), DefaultProcesses, JobLimitValues.MaxProcessCount, nameof(MaxProcesses), MaxProcesses);
        return failures;
    }

    /// <summary>A job's limits: what its definition asks (else the default), at most the maximum. Call after <see cref="Check"/>.</summary>
    public JobLimitValues For(JobResources? asked) => new(
        Math.Min(JobLimitValues.ParseSize(asked?.Memory) ?? JobLimitValues.ParseSize(DefaultMemory)!.Value, JobLimitValues.ParseSize(MaxMemory)!.Value),
        Math.Min(asked?.CpuTime ?? DefaultCpuTime, MaxCpuTime),
        Math.Min(asked?.Processes ?? DefaultProcesses, MaxProcesses),
        Math.Min(JobLimitValues.ParseSize(asked?.OutputSize) ?? JobLimitValues.ParseSize(DefaultOutputSize)!.Value, JobLimitValues.ParseSize(MaxOutputSize)!.Value),
        asked?.Memory is not null);
}

/// <summary>The limits of one local job, and how a definition may write them.</summary>
/// <param name="MemoryAsked">True when the definition gave its memory: only then is it enforced without a memory cgroup.</param>
public readonly partial record struct JobLimitValues(long MemoryBytes, int CpuSeconds, int Processes, long OutputBytes, bool MemoryAsked = false)
{
    public const long MinSize = 1L << 20;
    public const long MaxSize = 1L << 50;
    public const int MaxCpuSeconds = 31_536_000;
    public const int MaxProcessCount = 1_000_000;

    [GeneratedRegex("^([0-9]{1,16})([KMGTP]?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    /// <summary>A size as SLURM writes memory: a whole number with K, M, G, T or P (a bare number is MiB); null when it is not one.</summary>
    public static long? ParseSize(string? text)
    {
        if (text is null || SizePattern().Match(text.Trim()) is not { Success: true } match)
            return null;
        var shift = "KMGTP".IndexOf(char.ToUpperInvariant(match.Groups[2].Value is { Length: 1 } unit ? unit[0] : 'M'), StringComparison.Ordinal) * 10 + 10;
        var bytes = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * (1L << shift);
        return bytes > MaxSize ? MaxSize + 1 : (long)bytes;
    }

    /// <summary>What is wrong with a size (null when it is a good one): the end of a one-line message.</summary>
    public static string? SizeProblem(string value) => ParseSize(value) switch
    {
        null => $"'{value}' is not a size; write it as SLURM does, e.g. 500M or 2G",
        < MinSize or > MaxSize => $"'{value}' is not between 1M and 1P",
        _ => null,
    };

    /// <summary>The definition's problems with its resources.limits, one line each.</summary>
    public static IEnumerable<string> CheckRequest(JobResources asked)
    {
        if (asked.Memory is { } memory && SizeProblem(memory) is { } badMemory)
            yield return $"resources.memory: {badMemory}";
        if (asked.OutputSize is { } output && SizeProblem(output) is { } badOutput)
            yield return $"resources.outputSize: {badOutput}";
        if (asked.CpuTime is < 1 or > MaxCpuSeconds)
            yield return $"resources.cpuTime: {asked.CpuTime} is not between 1 and {MaxCpuSeconds} seconds";
        if (asked.Processes is < 1 or > MaxProcessCount)
            yield return $"resources.processes: {asked.Processes} is not between 1 and {MaxProcessCount}";
    }

    public string MemoryExceeded => $"memory limit of {Describe(MemoryBytes)} exceeded";

    public string ProcessesExceeded => $"process limit of {Processes} exceeded";

    public string CpuTimeExceeded => $"CPU time limit of {CpuSeconds} s exceeded";

    public string OutputExceeded => $"output size limit of {Describe(OutputBytes)} exceeded";

    public static string Describe(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
        var unit = 0;
        while (unit < units.Length - 1 && bytes >= 1024 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            unit++;
        }

        return $"{bytes.ToString(CultureInfo.InvariantCulture)} {units[unit]}";
    }
}

/// <summary>
/// Enforces a local job's limits and names the one it exceeded. A pids and a memory cgroup (v1) per job when the
/// server may make them (root, and the controllers mounted under /sys/fs/cgroup); rlimits otherwise and for the rest:
/// RLIMIT_CPU per process, RLIMIT_FSIZE per file (and the folder's total checked when the job ends).
/// </summary>
public sealed class JobLimits(OpusOptions options, JobWorkspace workspace, DefinitionCatalog catalog, JobRepository jobs, ILogger<JobLimits> logger)
{
    // Sets the rlimits given as its first arguments (CPU seconds soft and hard, file size in KiB, virtual memory
    // in KiB or "-", processes or "-"; no core files), joins the cgroups named next, up to "--" (their cgroup.procs
    // files), then becomes the command after it: every process of the job is counted from its first fork. bash's
    // own ulimit: one exec fewer than prlimit. No value of the job is ever part of this text.
    private const string LimitScript = """
        cpu=$1 cpuhard=$2 fsize=$3 vmem=$4 nproc=$5; shift 5
        ulimit -S -t "$cpu" && ulimit -H -t "$cpuhard" && ulimit -f "$fsize" && ulimit -c 0 || exit 125
        [ "$vmem" = - ] || ulimit -v "$vmem" || exit 125
        [ "$nproc" = - ] || ulimit -u "$nproc" || exit 125
        while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift
        exec "$@"
        """;

    // A process killed by SIGXCPU (24) or SIGXFSZ (25), as bash reports its status.
    private const int CpuSignalStatus = 128 + 24;
    private const int FileSizeSignalStatus = 128 + 25;

    public async Task<JobLimitValues> ForAsync(Job job, CancellationToken cancellationToken = default)
    {
        JobResources? asked = null;
        try
        {
            asked = (await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken)).Resources;
        }
        catch (OpusNotFoundException)
        {
        }

        return options.Local.Limits.For(asked);
    }

    /// <summary>Adds, after setsid, the command that puts the job under its rlimits and in its cgroups.</summary>
    public void AddCommand(ProcessStartInfo start, string jobId, JobLimitValues limits)
    {
        static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
        var args = start.ArgumentList;
        args.Add("bash");
        args.Add("-c");
        args.Add(LimitScript);
        args.Add("opus-limits");
        // The soft limit sends SIGXCPU (the status that names the limit); the hard one kills a process that ignores it.
        args.Add(Text(limits.CpuSeconds));
        args.Add(Text(limits.CpuSeconds + 5L));
        args.Add(Text(limits.OutputBytes / 1024));
        // Without a memory cgroup, RLIMIT_AS (virtual memory per process), only when the definition asked for it: runtimes
        // that reserve far more address space than they use (JVM, .NET) would not start under a default they never chose.
        args.Add(JobCgroups.Memory || !limits.MemoryAsked ? "-" : Text(limits.MemoryBytes / 1024));
        // Without a pids cgroup, RLIMIT_NPROC: it counts every process of the uid, so only a sandbox user of jobs alone may have it.
        args.Add(!JobCgroups.Pids && options.Local.IsSandboxed && JobSandbox.ServerIsRoot ? Text(limits.Processes) : "-");
        foreach (var procs in JobCgroups.Create(jobId, limits, logger))
            args.Add(procs);
        args.Add("--");
    }

    /// <summary>
    /// The limit a local job exceeded, as its error message; null when none (or the job is not local or has ended).
    /// <paramref name="exitStatus"/> is what its runner reported, when it did.
    /// </summary>
    public async Task<string?> ExceededAsync(string jobId, int? exitStatus, CancellationToken cancellationToken = default) =>
        await jobs.FindAsync(jobId, cancellationToken) is { } job ? await ExceededAsync(job, exitStatus, cancellationToken) : null;

    /// <summary>As above, for the job as the caller just read it.</summary>
    public async Task<string?> ExceededAsync(Job job, int? exitStatus, CancellationToken cancellationToken = default)
    {
        if (job is not { Manager: LocalManager.ManagerName } || job.Phase.IsFinal())
            return null;
        var jobId = job.Id;
        var limits = await ForAsync(job, cancellationToken);
        var (memory, processes) = JobCgroups.Exceeded(jobId);
        if (memory)
            return limits.MemoryExceeded;
        if (processes)
            return limits.ProcessesExceeded;
        if (exitStatus == CpuSignalStatus)
            return limits.CpuTimeExceeded;
        if (exitStatus == FileSizeSignalStatus || OutputBytes(jobId) > limits.OutputBytes)
            return limits.OutputExceeded;
        return null;
    }

    /// <summary>Removes the job's cgroups once its processes are gone.</summary>
    public Task ReleaseAsync(string jobId) => JobCgroups.RemoveAsync(jobId, logger);

    // What the job wrote: its folder without the inputs the server put there; no link is followed.
    private long OutputBytes(string jobId)
    {
        var folder = workspace.DirectoryOf(jobId);
        if (!Directory.Exists(folder))
            return 0;
        var inputs = Path.TrimEndingDirectorySeparator(workspace.InputsPath(jobId)) + Path.DirectorySeparatorChar;
        var walk = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return new DirectoryInfo(folder).EnumerateFiles("*", walk)
            .Where(f => !f.FullName.StartsWith(inputs, StringComparison.Ordinal))
            .Sum(f => f.Length);
    }
}

/// <summary>A job's cgroups (v1): /sys/fs/cgroup/{pids,memory}/opus/&lt;job id&gt;, made by a root server only.</summary>
internal static class JobCgroups
{
    private const string Root = "/sys/fs/cgroup";
    private const string Parent = "opus";

    private static readonly Lazy<bool> PidsUsable = new(() => Usable("pids"));
    private static readonly Lazy<bool> MemoryUsable = new(() => Usable("memory"));

    public static bool Pids => PidsUsable.Value;

    public static bool Memory => MemoryUsable.Value;

    private static bool Usable(string controller) =>
        OperatingSystem.IsLinux() && JobSandbox.ServerIsRoot && File.Exists(Path.Combine(Root, controller, "cgroup.procs"));

    private static string Folder(string controller, string jobId) => Path.Combine(Root, controller, Parent, jobId);

    /// <summary>Makes the job's cgroups with its limits; returns their cgroup.procs files (none where cgroups are not to be had).</summary>
    public static List<string> Create(string jobId, JobLimitValues limits, ILogger logger)
    {
        var joined = new List<string>();
        try
        {
            if (Pids)
            {
                var pids = Folder("pids", jobId);
                Directory.CreateDirectory(pids);
                File.WriteAllText(Path.Combine(pids, "pids.max"), limits.Processes.ToString(CultureInfo.InvariantCulture));
                joined.Add(Path.Combine(pids, "cgroup.procs"));
            }

            if (Memory)
            {
                var memory = Folder("memory", jobId);
                Directory.CreateDirectory(memory);
                var bytes = limits.MemoryBytes.ToString(CultureInfo.InvariantCulture);
                File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), bytes);
                // With swap accounting, the same bound on memory and swap together: a job over its memory is killed, not swapped.
                var withSwap = Path.Combine(memory, "memory.memsw.limit_in_bytes");
                if (File.Exists(withSwap))
                    File.WriteAllText(withSwap, bytes);
                joined.Add(Path.Combine(memory, "cgroup.procs"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The limits are the job's safety net, not its permission to run: it starts under its rlimits alone.
            logger.LogWarning("Job {JobId}: its cgroups could not be made ({Reason}); only its rlimits apply", jobId, e.Message);
        }

        return joined;
    }

    /// <summary>Whether the kernel killed a process of the job for its memory, and refused it a process.</summary>
    public static (bool Memory, bool Processes) Exceeded(string jobId) =>
        (Memory && Counter(Path.Combine(Folder("memory", jobId), "memory.oom_control"), "oom_kill") > 0,
         Pids && Counter(Path.Combine(Folder("pids", jobId), "pids.events"), "max") > 0);

    public static async Task RemoveAsync(string jobId, ILogger logger)
    {
        foreach (var controller in new[] { "pids", "memory" })
        {
            var folder = Folder(controller, jobId);
            // The last processes of the sandbox are still being reaped for a moment after the runner is gone.
            for (var attempt = 0; Directory.Exists(folder); attempt++)
            {
                try
                {
                    Directory.Delete(folder);
                }
                catch (IOException) when (attempt < 50)
                {
                    await Task.Delay(100);
                }
                catch (IOException e)
                {
                    logger.LogWarning("Job {JobId}: its {Controller} cgroup could not be removed: {Reason}", jobId, controller, e.Message);
                    break;
                }
            }
        }
    }

    /// <summary>An empty cgroup this old has no job left to count: a job joins its cgroups as its runner starts.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);

    /// <summary>Removes every job cgroup (of any server of this machine) that has been empty and unchanged for <paramref name="age"/>.</summary>
    public static void RemoveAbandoned(TimeSpan age)
    {
        foreach (var controller in new[] { "pids", "memory" })
        {
            var parent = Path.Combine(Root, controller, Parent);
            if (!(controller == "pids" ? Pids : Memory) || !Directory.Exists(parent))
                continue;
            foreach (var folder in Directory.EnumerateDirectories(parent))
            {
                try
                {
                    if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > age && File.ReadAllText(Path.Combine(folder, "cgroup.procs")).Length == 0)
                        Directory.Delete(folder);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Joined or removed meanwhile: the next sweep looks again.
                }
            }
        }
    }

    // A line "name N" of a cgroup's counters file.
    private static long Counter(string file, string name)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == name && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    return value;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
