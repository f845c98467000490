using Opus.Core.Definitions;
using Xunit.Sdk;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>Every format keeps every field of our definitions: written, read back, nothing lost or changed.</summary>
public sealed class FormatRoundTripTests
{
    // Fixed so a failure can be replayed; each case's own seed is in the failure message.
    private const int Seed = 20_260_601;
    private const int Cases = 300;

    private static readonly DefinitionFormat[] Readable = [DefinitionFormat.Yaml, DefinitionFormat.Json, DefinitionFormat.VoTable];

    public static TheoryData<string> Samples() =>
        new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "definitions"), "*.yaml").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_sample_goes_yaml_votable_json_yaml_unchanged(string file)
    {
        var original = DefinitionFiles.Read(Path.Combine(RepositoryRoot(), "definitions", file));
        var viaVoTable = DefinitionFormats.Read(DefinitionFormats.Write(original, DefinitionFormat.VoTable), "vot");
        var viaJson = DefinitionFormats.Read(DefinitionFormats.Write(viaVoTable, DefinitionFormat.Json), "json");
        var back = DefinitionFormats.Read(DefinitionFormats.Write(viaJson, DefinitionFormat.Yaml), "yaml");
        Assert.Equal(Canonical(original), Canonical(back));
        Assert.Equal(DefinitionYaml.Write(original), DefinitionYaml.Write(back));
    }

    [Fact]
    public void Generated_definitions_survive_every_format_and_the_chain()
    {
        for (var i = 0; i < Cases; i++)
        {
            var seed = Seed + i;
            var definition = new DefinitionGenerator(seed).Next();
            var expected = Canonical(definition);
            try
            {
                foreach (var format in Readable)
                {
                    var written = DefinitionFormats.Write(definition, format);
                    Assert.Equal(format, DefinitionFormats.Detect(written));
                    var read = DefinitionFormats.Read(written, $"case.{format}");
                    Assert.Equal(expected, Canonical(read));
                    // Writing what was read gives the same document: the writers are deterministic.
                    Assert.Equal(written, DefinitionFormats.Write(read, format));
                }

                var chained = Chain(definition, DefinitionFormat.Yaml, DefinitionFormat.VoTable, DefinitionFormat.Json, DefinitionFormat.Yaml);
                Assert.Equal(expected, Canonical(chained));
            }
            catch (Exception e) when (e is XunitException or Opus.Core.Jobs.OpusValidationException)
            {
                throw new XunitException($"case {i} failed: replay with new DefinitionGenerator({seed}).Next()\n{expected}\n{e.Message}");
            }
        }
    }

    [Fact]
    public void The_wadl_of_generated_definitions_lists_every_form_field()
    {
        for (var i = 0; i < 100; i++)
        {
            var definition = new DefinitionGenerator(Seed + 7_000 + i).Next();
            var wadl = WadlTests.CreateParams(DefinitionFormats.Write(definition, DefinitionFormat.Wadl));
            var expected = definition.Parameters.Select(p => p.Name).Concat(definition.Used.Select(u => u.Name));
            Assert.Equal(expected, wadl.Select(p => p.Name).Except(WadlTests.ControlParams));
            foreach (var p in definition.Parameters)
            {
                var param = wadl.Single(w => w.Name == p.Name);
                Assert.Equal(p.Required, param.Required);
                Assert.Equal(p.Default, param.Default);
                Assert.Equal(p.Options ?? [], param.Options);
            }
        }
    }

    [Fact]
    public void A_script_with_crlf_line_ends_is_read_with_lf_in_every_format()
    {
        var definition = new JobDefinition { Name = "crlf", Script = "echo one\r\necho two\r\n" };
        foreach (var format in Readable)
        {
            var read = DefinitionFormats.Read(DefinitionFormats.Write(definition, format), "crlf");
            Assert.Equal("echo one\necho two\n", read.Script);
        }
    }

    [Fact]
    public void Empty_texts_read_as_absent_in_every_format()
    {
        var definition = new JobDefinition
        {
            Name = "empty",
            Description = "",
            Script = "true",
            Resources = new JobResources { Partition = "" },
            Parameters = [new ParameterDefinition { Name = "a", Default = "", Unit = "", Options = [] }],
            Used = [new UsedDefinition { Name = "b", Default = "", Url = "" }],
        };
        foreach (var format in Readable)
        {
            var read = DefinitionFormats.Read(DefinitionFormats.Write(definition, format), "empty");
            Assert.Null(read.Description);
            Assert.Null(read.Resources);
            Assert.Null(read.Parameters[0].Default);
            Assert.Null(read.Parameters[0].Unit);
            Assert.Null(read.Parameters[0].Options);
            Assert.Null(read.Used[0].Default);
            Assert.Null(read.Used[0].Url);
        }
    }

    [Fact]
    public void Json_leaves_out_nulls_and_empty_lists_and_uses_the_yaml_field_names()
    {
        var definition = DefinitionYaml.Read("""
            name: demo
            contactName: Ada
            executionDuration: 5
            parameters:
              - name: n
                type: xs:int
                default: "3"
            script: echo $n
            """, "demo.yaml");
        var json = DefinitionJson.Write(definition);
        Assert.Contains("\"contactName\": \"Ada\"", json, StringComparison.Ordinal);
        Assert.Contains("\"executionDuration\": 5", json, StringComparison.Ordinal);
        Assert.DoesNotContain("null", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"used\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"description\"", json, StringComparison.Ordinal);
    }

    private static JobDefinition Chain(JobDefinition definition, params DefinitionFormat[] formats)
    {
        foreach (var format in formats)
            definition = DefinitionFormats.Read(DefinitionFormats.Write(definition, format), $"chain.{format}");
        return definition;
    }

    internal static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Opus.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("Opus.sln not found above " + AppContext.BaseDirectory);
    }
}
