namespace Opus.Core.Execution;

/// <summary>Configuration section Opus:Slurm. A definition's resources override the defaults here.</summary>
public sealed class SlurmOptions
{
    /// <summary>Runs the SLURM manager (its reconcile loop, definitions naming slurm); unset: when Opus:Manager is slurm.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Partition when the definition names none; empty: the cluster's default partition.</summary>
    public string? Partition { get; set; }

    /// <summary>CPUs per job (--cpus-per-task) when the definition gives none.</summary>
    public int? Cpus { get; set; }

    /// <summary>Memory per job (--mem, e.g. "2G") when the definition gives none.</summary>
    public string? Memory { get; set; }

    /// <summary>
    /// How often active SLURM jobs are compared with what scontrol says. Events normally come from the
    /// runner; this only settles jobs whose events stopped (cancelled while pending, node failure).
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest an sbatch, scancel or scontrol call may take.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Folder of the SLURM client commands; empty: found on PATH.</summary>
    public string? BinPath { get; set; }

    /// <summary>
    /// How a job's files reach the node and come back: "shared" (the job folder is on a filesystem every node
    /// mounts) or "http" (the node fetches a bundle from the server and sends its results back; see HttpStaging).
    /// </summary>
    public string Staging { get; set; } = SharedStaging;

    /// <summary>With http staging: the node folder under which each job gets its scratch folder; empty: the node's $TMPDIR, else /tmp.</summary>
    public string? Scratch { get; set; }

    public const string SharedStaging = "shared";

    public const string HttpStaging = "http";

    public bool IsHttpStaging => string.Equals(Staging, HttpStaging, StringComparison.OrdinalIgnoreCase);
}
