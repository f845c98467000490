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

    /// <summary>Account charged (--account) when the definition names none.</summary>
    public string? Account { get; set; }

    /// <summary>Quality of service (--qos) when the definition names none.</summary>
    public string? Qos { get; set; }

    /// <summary>
    /// How often active SLURM jobs are compared with what scontrol says. Events normally come from the
    /// runner; this only settles jobs whose events stopped (cancelled while pending, node failure).
    /// </summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest an sbatch, scancel or scontrol call may take.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Submissions at once (sbatch over ssh, or slurmrestd calls): PHASE=RUN hands the job to one of these and answers.</summary>
    public int SubmitConcurrency { get; set; } = 8;

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

    /// <summary>
    /// How commands reach the cluster: <see cref="LocalTransport"/> (sbatch, scancel, scontrol on this host),
    /// <see cref="SshTransport"/> (the same commands on a login node, section Ssh) or <see cref="RestTransport"/>
    /// (slurmrestd, section Rest).
    /// </summary>
    public string Transport { get; set; } = LocalTransport;

    /// <summary>Configuration section Opus:Slurm:Ssh: the login node.</summary>
    public SlurmSshOptions Ssh { get; set; } = new();

    /// <summary>Configuration section Opus:Slurm:Rest: slurmrestd.</summary>
    public SlurmRestOptions Rest { get; set; } = new();

    public const string LocalTransport = "local";
    public const string SshTransport = "ssh";
    public const string RestTransport = "rest";

    /// <summary>True when the cluster is reached over the network: its nodes cannot call back on loopback.</summary>
    public bool IsRemote => Transport is SshTransport or RestTransport;
}

/// <summary>A SLURM login node reached over SSH with a key; its host key is pinned, never learnt.</summary>
public sealed class SlurmSshOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 22;

    public string? User { get; set; }

    /// <summary>The private key file (OpenSSH format, no passphrase or with <see cref="KeyPassphrase"/>).</summary>
    public string? KeyFile { get; set; }

    public string? KeyPassphrase { get; set; }

    /// <summary>The login node's host key as `ssh-keygen -l -E sha256` prints it: SHA256:base64 (no padding).</summary>
    public string? HostKeyFingerprint { get; set; }

    /// <summary>Keep-alive probe interval of the one connection (a lost connection is noticed and re-made).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Commands at once over the one connection, each a channel of its own; more wait their turn. Keep it under
    /// the login node's sshd MaxSessions (OpenSSH's default is 10), which refuses a channel beyond it.
    /// </summary>
    public int MaxChannels { get; set; } = 8;
}

/// <summary>slurmrestd (openapi/v0.0.38) with JWT authentication.</summary>
public sealed class SlurmRestOptions
{
    /// <summary>The base address, e.g. http://login:6820 (the /slurm/v0.0.38/ paths are added).</summary>
    public string? Url { get; set; }

    /// <summary>The SLURM user the token is for (X-SLURM-USER-NAME); jobs run as this user.</summary>
    public string? User { get; set; }

    /// <summary>The JWT (`scontrol token`); or <see cref="TokenFile"/>.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the JWT, read again on every request so that a renewed token is used at once.</summary>
    public string? TokenFile { get; set; }
}
