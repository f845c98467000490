namespace Opus.Core.Provenance;

/// <summary>Provenance settings (configuration section "Opus:Provenance").</summary>
public sealed class ProvenanceOptions
{
    /// <summary>The public base URL identifiers are built on (section 2), without a trailing slash; empty: the request's own.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>The Graphviz program that draws PROV-SVG and PROV-PNG.</summary>
    public string DotPath { get; set; } = "dot";

    /// <summary>Longest a drawing may take.</summary>
    public TimeSpan DotTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The file a job script may leave in its working directory with its own detailed provenance (PROV-JSON, as logprov writes).</summary>
    public string InternalFile { get; set; } = "internal_provenance.json";

    /// <summary>A larger internal provenance file is not merged.</summary>
    public long MaxInternalBytes { get; set; } = 8L << 20;
}
