using Opus.Core.Definitions;
using Opus.Core.Jobs;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>The single entry point: telling formats apart, naming them, and reading files of any format.</summary>
public sealed class DefinitionFormatsTests
{
    [Theory]
    [InlineData("name: x\nscript: y", DefinitionFormat.Yaml)]
    [InlineData("# a comment\nname: x", DefinitionFormat.Yaml)]
    [InlineData("", DefinitionFormat.Yaml)]
    [InlineData("---\nname: x", DefinitionFormat.Yaml)]
    [InlineData("{\"name\": \"x\"}", DefinitionFormat.Json)]
    [InlineData("\uFEFF\n  {\"name\": \"x\"}", DefinitionFormat.Json)]
    [InlineData("[1]", DefinitionFormat.Json)]
    [InlineData("<VOTABLE xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\"/>", DefinitionFormat.VoTable)]
    [InlineData("<?xml version=\"1.0\"?>\n<!-- c -->\n<VOTABLE/>", DefinitionFormat.VoTable)]
    [InlineData("<html><body>not a definition</body></html>", DefinitionFormat.VoTable)]
    [InlineData("<VOTABLE", DefinitionFormat.VoTable)]
    [InlineData("<application xmlns=\"http://wadl.dev.java.net/2009/02\"/>", DefinitionFormat.Wadl)]
    public void The_format_is_told_by_the_content(string content, DefinitionFormat expected) =>
        Assert.Equal(expected, DefinitionFormats.Detect(content));

    [Theory]
    [InlineData("yaml", DefinitionFormat.Yaml)]
    [InlineData("YML", DefinitionFormat.Yaml)]
    [InlineData(" json ", DefinitionFormat.Json)]
    [InlineData("votable", DefinitionFormat.VoTable)]
    [InlineData("VOTable", DefinitionFormat.VoTable)]
    [InlineData("xml", DefinitionFormat.VoTable)]
    [InlineData("wadl", DefinitionFormat.Wadl)]
    [InlineData("application/x-votable+xml", DefinitionFormat.VoTable)]
    [InlineData("application/vnd.sun.wadl+xml", DefinitionFormat.Wadl)]
    public void Format_names_and_media_types_parse(string name, DefinitionFormat expected) =>
        Assert.Equal(expected, DefinitionFormats.Parse(name));

    [Fact]
    public void An_unknown_format_name_lists_the_known_ones()
    {
        Assert.False(DefinitionFormats.TryParse("toml", out _));
        Assert.False(DefinitionFormats.TryParse(null, out _));
        var error = Assert.Throws<OpusValidationException>(() => DefinitionFormats.Parse("toml"));
        Assert.Equal("unknown definition format 'toml'; use yaml, json, votable or wadl", error.Message);
    }

    [Fact]
    public void Every_format_has_its_media_type_and_a_name_that_parses_back()
    {
        Assert.Equal(
            ["application/yaml", "application/json", "application/x-votable+xml", "application/vnd.sun.wadl+xml"],
            Enum.GetValues<DefinitionFormat>().Select(DefinitionFormats.MediaType));
        Assert.All(Enum.GetValues<DefinitionFormat>(), f => Assert.Equal(f, DefinitionFormats.Parse(f.ToString())));
        Assert.All(Enum.GetValues<DefinitionFormat>(), f => Assert.Equal(f, DefinitionFormats.Parse(DefinitionFormats.MediaType(f))));
        Assert.Equal("_vot.xml", DefinitionFormats.FileSuffix(DefinitionFormat.VoTable));
    }

    [Fact]
    public void Definition_files_of_every_format_load()
    {
        var folder = Directory.CreateTempSubdirectory("opus-definitions-");
        try
        {
            var sample = DefinitionFormats.Read(Fixture("gammapy_maps_vot.xml"), "gammapy_maps_vot.xml");
            File.WriteAllText(Path.Combine(folder.FullName, "a.yaml"), DefinitionFormats.Write(sample, DefinitionFormat.Yaml));
            File.WriteAllText(Path.Combine(folder.FullName, "b.json"), DefinitionFormats.Write(sample, DefinitionFormat.Json));
            File.WriteAllText(Path.Combine(folder.FullName, "c_vot.xml"), DefinitionFormats.Write(sample, DefinitionFormat.VoTable));
            File.WriteAllText(Path.Combine(folder.FullName, "d.wadl"), DefinitionFormats.Write(sample, DefinitionFormat.Wadl));

            var files = Directory.GetFiles(folder.FullName).Where(DefinitionFiles.IsDefinitionFile).Order().ToList();
            Assert.Equal(["a.yaml", "b.json", "c_vot.xml"], files.Select(Path.GetFileName));
            Assert.All(files, f => Assert.Equal(Canonical(sample), Canonical(DefinitionFiles.Read(f))));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
