namespace Opus.HelpGenerator;

/// <summary>One cmdlet as its help describes it.</summary>
public sealed record CmdletHelp(
    string Verb,
    string Noun,
    string Synopsis,
    string Description,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> OutputTypes,
    IReadOnlyList<ExampleHelp> Examples)
{
    public string Name => $"{Verb}-{Noun}";
}

/// <summary>One parameter in one parameter set ("__AllParameterSets" when it is in every set).</summary>
public sealed record ParameterHelp(
    string Name,
    string TypeName,
    string Description,
    string ParameterSet,
    bool Mandatory,
    int? Position,
    bool ByValue,
    bool ByPropertyName,
    bool Wildcards,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> ValidValues)
{
    public string PipelineInput => (ByValue, ByPropertyName) switch
    {
        (true, true) => "True (ByValue, ByPropertyName)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };
}

public sealed record ExampleHelp(string Code, string Remarks);
