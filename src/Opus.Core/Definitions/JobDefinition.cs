namespace Opus.Core.Definitions;

/// <summary>
/// A job definition: an IVOA ActivityDescription with its parameters, used and generated
/// entities, scheduler resources and the bash script that does the work.
/// The same model is read and written as YAML, JSON and VOTable.
/// </summary>
public sealed class JobDefinition
{
    public string Name { get; set; } = "";

    public string Version { get; set; } = "1";

    public string? Description { get; set; }

    /// <summary>ActivityDescription type (e.g. "reconstruction", "test").</summary>
    public string? Type { get; set; }

    public string? Subtype { get; set; }

    /// <summary>Where the code is documented.</summary>
    public string? Doculink { get; set; }

    public string? ContactName { get; set; }

    public string? ContactEmail { get; set; }

    /// <summary>Default execution duration in seconds (0 = the server's default).</summary>
    public int ExecutionDuration { get; set; }

    /// <summary>Expected run time in seconds, used for the UWS quote.</summary>
    public int? Quote { get; set; }

    /// <summary>What a scheduler should reserve for a job (used by the SLURM manager).</summary>
    public JobResources? Resources { get; set; }

    public List<ParameterDefinition> Parameters { get; set; } = [];

    public List<UsedDefinition> Used { get; set; } = [];

    public List<GeneratedDefinition> Generated { get; set; } = [];

    public string Script { get; set; } = "";

    /// <summary>
    /// The PARAMs of a DataLink service descriptor given with the definition (accessURL, standardID,
    /// resourceIdentifier, ...), by name: Opus does not use them, but keeps them through every format.
    /// </summary>
    public Dictionary<string, string>? ServiceDescriptor { get; set; }

    /// <summary>Parameter names are case-insensitive, as in DALI services.</summary>
    public ParameterDefinition? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    public UsedDefinition? FindUsed(string name) =>
        Used.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>An input parameter (ActivityDescription InputParams).</summary>
public sealed class ParameterDefinition
{
    public string Name { get; set; } = "";

    /// <summary>One of <see cref="ParameterTypes.All"/>, e.g. "xs:int".</summary>
    public string Type { get; set; } = ParameterTypes.String;

    public string? Default { get; set; }

    public bool Required { get; set; }

    public string? Description { get; set; }

    public string? Unit { get; set; }

    public string? Ucd { get; set; }

    public string? Utype { get; set; }

    public string? Min { get; set; }

    public string? Max { get; set; }

    public List<string>? Options { get; set; }
}

/// <summary>
/// An input entity the job uses (a Used group): a file given by upload, by URL, or by an
/// identifier resolved through <see cref="Url"/> (a template containing $ID).
/// </summary>
public sealed class UsedDefinition
{
    /// <summary>The form field and environment variable name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The provenance role (defaults to the name).</summary>
    public string? Role { get; set; }

    public string? Description { get; set; }

    public string? ContentType { get; set; }

    /// <summary>How many entities: "1" (default), "0..1", "*" or a maximum such as "5".</summary>
    public string? Multiplicity { get; set; }

    /// <summary>A default identifier, URL or value when none is given.</summary>
    public string? Default { get; set; }

    /// <summary>A URL template with $ID to resolve identifiers ("file://$ID" means: upload only).</summary>
    public string? Url { get; set; }

    public bool Required { get; set; }

    /// <summary>The file name the script sees in its inputs directory (default: the name).</summary>
    public string? File { get; set; }
}

/// <summary>A result the job generates: a file name or a glob in the working directory.</summary>
public sealed class GeneratedDefinition
{
    public string Name { get; set; } = "";

    public string File { get; set; } = "";

    public string? ContentType { get; set; }

    public string? Description { get; set; }

    /// <summary>The provenance role (defaults to the name).</summary>
    public string? Role { get; set; }

    /// <summary>How many files: "1" (default) or "*" for a glob.</summary>
    public string? Multiplicity { get; set; }
}

/// <summary>Scheduler resources for a job of this definition.</summary>
public sealed class JobResources
{
    /// <summary>The job manager for this definition ("local" or "slurm"); empty: the server's (Opus:Manager).</summary>
    public string? Manager { get; set; }

    public string? Partition { get; set; }

    public int? Cpus { get; set; }

    /// <summary>Memory as SLURM writes it, e.g. "2G" or "500M" (a bare number is MiB); a local job's memory limit too.</summary>
    public string? Memory { get; set; }

    /// <summary>A local job's CPU time per process, in seconds (RLIMIT_CPU).</summary>
    public int? CpuTime { get; set; }

    /// <summary>How many processes (and threads) a local job may have at once.</summary>
    public int? Processes { get; set; }

    /// <summary>How much a local job may write to its folder, written as <see cref="Memory"/> is, e.g. "10G".</summary>
    public string? OutputSize { get; set; }

    /// <summary>SLURM nodes (--nodes).</summary>
    public int? Nodes { get; set; }

    /// <summary>SLURM tasks (--ntasks).</summary>
    public int? Tasks { get; set; }

    /// <summary>SLURM generic resources, e.g. "gpu:1" (--gres).</summary>
    public string? Gres { get; set; }

    /// <summary>SLURM node features (--constraint).</summary>
    public string? Constraint { get; set; }

    /// <summary>SLURM account charged (--account).</summary>
    public string? Account { get; set; }

    /// <summary>SLURM quality of service (--qos).</summary>
    public string? Qos { get; set; }

    /// <summary>
    /// True: a SLURM job whose node fails runs again from the start (--requeue), the job going back to QUEUED;
    /// otherwise (--no-requeue, whatever the site's JobRequeue) it ends in ERROR saying the node failed.
    /// </summary>
    public bool? Requeue { get; set; }

    /// <summary>The job's network: "allowed" (default: codes fetch data) or "none" (a sandboxed local job gets no network at all).</summary>
    public string? Network { get; set; }

    public const string NoNetwork = "none";
}
