namespace Opus.Core.Provenance;

/// <summary>Which way a traversal goes (section 7.2); Both is the union of the two.</summary>
public enum ProvenanceDirection
{
    Back,
    Forward,
    Both,
}

/// <summary>IVOA: everything, written W3C-valid; W3C: PROV core only (section 7.3).</summary>
public enum ProvenanceModel
{
    Ivoa,
    W3C,
}

/// <summary>
/// What a ProvSAP request asks for (section 7.1), shared by /provsap, the per-job shortcuts and the
/// cmdlets. <see cref="Depth"/> null means ALL.
/// </summary>
public sealed record ProvenanceQuery
{
    /// <summary>Start points: job ids, opus_job: names or job URLs; digests, opus_store: names or store URLs; job-specific entity names.</summary>
    public required IReadOnlyList<string> Ids { get; init; }

    public int? Depth { get; init; } = 1;

    public ProvenanceDirection Direction { get; init; } = ProvenanceDirection.Back;

    public ProvenanceModel Model { get; init; } = ProvenanceModel.Ivoa;

    /// <summary>Owner agents (and the contact when descriptions are on).</summary>
    public bool Agents { get; init; } = true;

    /// <summary>0: none; 1: ActivityDescriptions (+contact); 2: also Usage, Generation, Parameter and Dataset descriptions.</summary>
    public int Descriptions { get; init; }

    /// <summary>Parameters (WasConfiguredBy).</summary>
    public bool Configuration { get; init; } = true;

    /// <summary>Graphs only: attributes in a note beside each node.</summary>
    public bool Attributes { get; init; } = true;

    /// <summary>Graphs only: Graphviz rankdir (LR, RL, TB, BT).</summary>
    public string GraphDirection { get; init; } = "LR";

    public ProvenanceFormat Format { get; init; } = ProvenanceFormat.ProvSvg;

    /// <summary>The public base URL the identifiers are built on (no trailing slash).</summary>
    public string BaseUrl { get; init; } = "http://localhost";

    /// <summary>What a COMPLETED job's provjson, provxml, provsvg and provn results show (section 5).</summary>
    public static ProvenanceQuery ForJobResult(string jobId, ProvenanceFormat format, string baseUrl) => new()
    {
        Ids = [jobId],
        Depth = 1,
        Direction = ProvenanceDirection.Back,
        Model = ProvenanceModel.Ivoa,
        Agents = true,
        Descriptions = 0,
        Configuration = true,
        Format = format,
        BaseUrl = baseUrl,
    };
}
