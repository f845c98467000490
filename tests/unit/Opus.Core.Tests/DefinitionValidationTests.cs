using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Tests;

public sealed class DefinitionValidationTests
{
    private const string Valid = """
        name: demo
        version: "2"
        executionDuration: 30
        parameters:
          - name: count
            type: int
            default: "3"
            min: "1"
            max: "10"
          - name: mode
            type: xs:string
            options: [fast, slow]
            default: fast
        generated:
          - name: out
            file: "*.txt"
        script: echo ok
        """;

    [Fact]
    public void A_valid_definition_is_read_with_normalized_types()
    {
        var definition = DefinitionYaml.Read(Valid, "demo.yaml");
        Assert.Equal("demo", definition.Name);
        Assert.Equal("xs:int", definition.Parameters[0].Type);
        Assert.Equal(["fast", "slow"], definition.Parameters[1].Options);
        Assert.Equal("*.txt", definition.Generated[0].File);
    }

    [Theory]
    [InlineData("type: int", "type: complex", "unknown datatype 'complex'")]
    [InlineData("default: \"3\"", "default: \"30\"", "parameters[0] (count).default: 30 is above the maximum 10")]
    [InlineData("default: fast", "default: medium", "not one of the options: fast, slow")]
    [InlineData("  - name: mode", "  - name: count", "duplicate name 'count'")]
    [InlineData("  - name: mode", "  - name: PATH", "'PATH' is reserved")]
    [InlineData("  - name: mode", "  - name: RUNID", "'RUNID' is a UWS control parameter")]
    [InlineData("  - name: mode", "  - name: two words", "must be a letter or '_'")]
    [InlineData("file: \"*.txt\"", "file: \"\"", "a generated result needs a file name or glob")]
    [InlineData("file: \"*.txt\"", "file: ../../etc/passwd", "without '..'")]
    [InlineData("script: echo ok", "script: \"  \"", "script: must not be empty")]
    [InlineData("name: demo", "name: ../x", "name: '../x' must be")]
    [InlineData("min: \"1\"", "min: \"11\"", "min 11 is greater than max 10")]
    public void An_invalid_definition_is_rejected_naming_the_field(string from, string to, string expected)
    {
        var yaml = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, yaml);
        var error = Assert.Throws<OpusValidationException>(() => DefinitionYaml.Read(yaml, "demo.yaml"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("demo.yaml: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var yaml = Valid.Replace("type: int", "type: complex", StringComparison.Ordinal).Replace("script: echo ok", "script: \"\"", StringComparison.Ordinal);
        var error = Assert.Throws<OpusValidationException>(() => DefinitionYaml.Read(yaml, "demo.yaml"));
        Assert.Contains("unknown datatype", error.Message, StringComparison.Ordinal);
        Assert.Contains("script: must not be empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_yaml_names_the_line()
    {
        var error = Assert.Throws<OpusValidationException>(() => DefinitionYaml.Read("name: x\nparameters: [\n", "broken.yaml"));
        Assert.Matches(@"broken\.yaml: line \d+", error.Message);
    }

    [Fact]
    public void The_sample_definitions_are_valid()
    {
        var folder = Path.Combine(RepositoryRoot, "definitions");
        var names = Directory.GetFiles(folder, "*.yaml").Select(f => DefinitionFiles.Read(f).Name).Order().ToList();
        Assert.Equal(["copy", "fail", "sleep"], names);
    }

    [Fact]
    public void Yaml_written_reads_back_the_same()
    {
        var definition = DefinitionYaml.Read(Valid, "demo.yaml");
        var again = DefinitionYaml.Read(DefinitionYaml.Write(definition), "again.yaml");
        Assert.Equal(DefinitionYaml.Write(definition), DefinitionYaml.Write(again));
        Assert.Equal(definition.Parameters.Count, again.Parameters.Count);
    }

    internal static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Opus.sln")))
                dir = dir.Parent;
            return dir!.FullName;
        }
    }
}
