namespace Opus.Core;

/// <summary>Settings of an Opus instance (configuration section "Opus").</summary>
public sealed class OpusOptions
{
    /// <summary>Root of the database (SQLite), job directories and the store. Relative paths are resolved against the working directory.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>A folder of YAML definitions loaded at start (the samples by default).</summary>
    public string? DefinitionsPath { get; set; }

    /// <summary>Where runners POST their events; empty means no callbacks (events are read from the events file).</summary>
    public string? CallbackUrl { get; set; }

    /// <summary>How many jobs the local manager runs at once; further jobs wait in QUEUED.</summary>
    public int MaxConcurrentJobs { get; set; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Execution duration when a definition gives none (seconds).</summary>
    public int DefaultExecutionDuration { get; set; } = 3600;

    /// <summary>Upper bound on execution durations a client may ask for (seconds); 0 = no bound.</summary>
    public int MaxExecutionDuration { get; set; } = 7 * 24 * 3600;

    /// <summary>Lifetime of a job from its creation until it is destroyed.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Longest lifetime a client may ask for with DESTRUCTION.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Jobs one user may have QUEUED or EXECUTING at once (anonymous callers share one such quota); 0 = no limit. Admins are not limited.</summary>
    public int MaxActiveJobsPerUser { get; set; } = 50;

    /// <summary>Cap on a blocking WAIT (UWS 7.5).</summary>
    public int WaitCapSeconds { get; set; } = 60;

    /// <summary>How often expired jobs are destroyed and silent jobs reconciled.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Seconds between SIGTERM and SIGKILL when a job is aborted or runs out of time.</summary>
    public double KillGraceSeconds { get; set; } = 2;

    /// <summary>Configuration section Opus:Storage (Provider, ConnectionString).</summary>
    public Storage.StorageOptions Storage { get; set; } = new();

    /// <summary>What a job's destruction time does: "delete" (the job is gone) or "archive" (kept as ARCHIVED, its files removed).</summary>
    public string Destruction { get; set; } = DestructionDelete;

    public const string DestructionDelete = "delete";
    public const string DestructionArchive = "archive";

    /// <summary>The job manager of this server ("local" or "slurm"); a definition may name another in resources.manager.</summary>
    public string Manager { get; set; } = "local";

    /// <summary>Configuration section Opus:Local: the sandbox of local jobs.</summary>
    public Execution.LocalOptions Local { get; set; } = new();

    /// <summary>Configuration section Opus:Slurm: what the SLURM manager asks for and how often it reconciles.</summary>
    public Execution.SlurmOptions Slurm { get; set; } = new();

    /// <summary>Configuration section Opus:Definitions: document size and pending proposals per user.</summary>
    public Definitions.DefinitionLimits Definitions { get; set; } = new();

    /// <summary>Limits on input entities the server downloads.</summary>
    public InputOptions Inputs { get; set; } = new();

    /// <summary>Provenance: identifiers' base URL, Graphviz, the job's own provenance file (section "Opus:Provenance").</summary>
    public Provenance.ProvenanceOptions Provenance { get; set; } = new();

    /// <summary>
    /// The address clients and the cluster's nodes reach this server at (e.g. https://example.org/opus); when set, every
    /// link in an answer is built from it, and runners call back to <see cref="CallbackUrl"/>, else to this address.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>A prefix the server is reached under (e.g. /opus), taken off request paths and put into links; by default the path of <see cref="PublicUrl"/>.</summary>
    public string? PathBase { get; set; }

    /// <summary>Loads the sample definitions (copy, fail, sleep) when no <see cref="DefinitionsPath"/> is given; otherwise only in Development.</summary>
    public bool LoadSamples { get; set; }

    /// <summary>Configuration section Opus:Proxy: the reverse proxies whose X-Forwarded-* headers are believed.</summary>
    public ProxyOptions Proxy { get; set; } = new();

    /// <summary>Configuration section Opus:ResultLinks: lifetimes of signed result links.</summary>
    public Jobs.ResultLinkOptions ResultLinks { get; set; } = new();

    /// <summary>Configuration section Opus:Mail: the SMTP server of notices by e-mail; off without a host.</summary>
    public Notifications.MailOptions Mail { get; set; } = new();

    public string FullDataPath => Path.GetFullPath(DataPath);

    public string JobsPath => Path.Combine(FullDataPath, "jobs");

    public string StorePath => Path.Combine(FullDataPath, "store");
}

/// <summary>How the server fetches inputs given by URL or identifier.</summary>
public sealed class InputOptions
{
    /// <summary>Largest input the server downloads or accepts as an upload (bytes).</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Longest a download may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Allows URLs on loopback and private networks (off: no request forgery into the local network).</summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>Reverse proxies in front of the server; their X-Forwarded-For, -Proto and -Host are honoured, nobody else's.</summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses of trusted proxies, e.g. 127.0.0.1.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. 10.1.0.0/16.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}
