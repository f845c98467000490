namespace Opus.Core.Definitions;

/// <summary>
/// A job definition: an IVOA ActivityDescription with its parameters, used and generated
/// entities and the bash script that does the work.
/// </summary>
public sealed class JobDefinition
{
    public string Name { get; set; } = "";

    public string Version { get; set; } = "1";

    public string? Description { get; set; }

    /// <summary>Default execution duration in seconds (0 = unlimited).</summary>
    public int ExecutionDuration { get; set; }

    /// <summary>Expected run time in seconds, used for the UWS quote.</summary>
    public int? Quote { get; set; }

    public List<ParameterDefinition> Parameters { get; set; } = [];

    public List<UsedDefinition> Used { get; set; } = [];

    public List<GeneratedDefinition> Generated { get; set; } = [];

    public string Script { get; set; } = "";

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

    public string? Min { get; set; }

    public string? Max { get; set; }

    public List<string>? Options { get; set; }
}

/// <summary>An input entity the job uses: a file given by upload, URL or identifier.</summary>
public sealed class UsedDefinition
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public string? ContentType { get; set; }

    public bool Required { get; set; }

    /// <summary>The file name the script sees in its working directory (default: the name).</summary>
    public string? File { get; set; }
}

/// <summary>A result the job generates: a file name or a glob in the working directory.</summary>
public sealed class GeneratedDefinition
{
    public string Name { get; set; } = "";

    public string File { get; set; } = "";

    public string? ContentType { get; set; }

    public string? Description { get; set; }
}
