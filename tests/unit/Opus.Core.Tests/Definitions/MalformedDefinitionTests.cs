using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Tests.Definitions;

/// <summary>Broken input of each format is refused with a message naming the source and where the problem is.</summary>
public sealed class MalformedDefinitionTests
{
    private static string ErrorOf(string content, string source = "input")
    {
        var error = Assert.Throws<OpusValidationException>(() => DefinitionFormats.Read(content, source));
        Assert.StartsWith(source + ": ", error.Message, StringComparison.Ordinal);
        return error.Message;
    }

    [Theory]
    [InlineData("name: x\nparameters: [\n", "line 3")]
    [InlineData("name: x\nscript: echo\nnmae: y\n", "line 3, column 1: unknown field 'nmae'")]
    [InlineData("name: x\nexecutionDuration: soon\nscript: echo\n", "line 2, column 20: executionDuration: expected an integer, found 'soon'")]
    [InlineData("name: x\nparameters: [[1, 2]]\n", "line 2, column 14: parameters[0]: expected a mapping of fields, found a list")]
    [InlineData("name: x\nscript: &s echo\ndescription: *s\n", "line 3, column 14: aliases (*s) are not allowed in a definition")]
    [InlineData("", "the document is empty")]
    [InlineData("name: x\nparameters:\n  -\nscript: echo\n", "parameters[0]: the entry is empty")]
    public void Yaml(string content, string expected) =>
        Assert.Contains(expected, ErrorOf(content), StringComparison.Ordinal);

    [Theory]
    [InlineData("{\n  \"name\": \"x\",\n  \"version\": \n}", "input: line 4, position 1")]
    [InlineData("{\"name\": \"x\", \"script\": \"y\"", "input: line 1, position 28: Expected depth to be zero at the end of the JSON payload")]
    [InlineData("{\n  \"name\": \"x\",\n  \"bogus\": 1\n}", "line 3, position 11 ($.bogus): unknown field 'bogus'")]
    [InlineData("{\n  \"name\": \"x\",\n  \"executionDuration\": \"soon\"\n}", "line 3, position 30 ($.executionDuration): expected an integer")]
    [InlineData("{\"name\": \"x\", \"parameters\": [{\"name\": \"a\", \"required\": \"yes\"}]}", "($.parameters[0].required): expected true or false")]
    [InlineData("{\"name\": \"x\", \"parameters\": \"none\"}", "($.parameters): expected a list")]
    [InlineData("[{\"name\": \"x\"}]", "input: a definition is a JSON object, not an array")]
    [InlineData("{\"name\": \"x\", \"parameters\": [null], \"script\": \"y\"}", "parameters[0]: the entry is empty")]
    [InlineData("{\"name\": \"x\", \"script\": \"y\", \"parameters\": {\"a\": {\"datatype\": \"xs:int\", \"default\": \"z\"}}}", "parameters[0] (a).default: 'z' is not an integer")]
    public void Json(string content, string expected) =>
        Assert.Contains(expected, ErrorOf(content), StringComparison.Ordinal);

    [Theory]
    [InlineData("<VOTABLE xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n  <RESOURCE>\n</VOTABLE>", "input: line 3, position 3: The 'RESOURCE' start tag on line 2 position 4 does not match the end tag of 'VOTABLE'.")]
    [InlineData("<VOTABLE", "input: line 1, position 9")]
    [InlineData("<html><body/></html>", "input: the root element is <html>, not <VOTABLE>")]
    [InlineData("<VOTABLE xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\"><INFO/></VOTABLE>", "input: no <RESOURCE> holds an ActivityDescription")]
    [InlineData("<!DOCTYPE VOTABLE [<!ENTITY a \"aaaa\">]><VOTABLE/>", "a DTD (<!DOCTYPE ...>) is not allowed in a definition")]
    public void VoTable_syntax(string content, string expected) =>
        Assert.Contains(expected, ErrorOf(content), StringComparison.Ordinal);

    [Fact]
    public void VoTable_mapping_problems_name_their_line_and_come_with_validation_problems()
    {
        const string xml = """
            <VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3">
              <RESOURCE name="bad name" type="meta" utype="voprov:ActivityDescription">
                <PARAM name="executionDuration" value="soon" datatype="int"/>
                <PARAM name="quote" value="1.5" datatype="int"/>
                <GROUP name="InputParams">
                  <PARAM ID="c" name="c" datatype="complex" value=""/>
                  <PARAM ID="n" name="n" datatype="int" value="x"/>
                </GROUP>
                <GROUP name="Used">
                  <GROUP name="u"><PARAM name="required" value="perhaps" datatype="boolean"/></GROUP>
                </GROUP>
                <GROUP name="Resources"><PARAM name="cpus" value="many" datatype="int"/></GROUP>
              </RESOURCE>
            </VOTABLE>
            """;
        var message = ErrorOf(xml, "bad_vot.xml");
        Assert.Contains("line 3: executionDuration: 'soon' is not an integer", message, StringComparison.Ordinal);
        Assert.Contains("line 4: quote: '1.5' is not an integer", message, StringComparison.Ordinal);
        Assert.Contains("line 6: parameter 'c': unknown VOTable datatype 'complex'", message, StringComparison.Ordinal);
        Assert.Contains("line 10: required: 'perhaps' is not true or false", message, StringComparison.Ordinal);
        Assert.Contains("line 12: cpus: 'many' is not an integer", message, StringComparison.Ordinal);
        Assert.Contains("parameters[1] (n).default: 'x' is not an integer", message, StringComparison.Ordinal);
        Assert.Contains("name: 'bad name' must be", message, StringComparison.Ordinal);
        Assert.Contains("script: must not be empty", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_xml_cannot_hold_is_refused_when_writing_votable()
    {
        var definition = new JobDefinition { Name = "ctl", Script = "printf '\u0001'" };
        var error = Assert.Throws<OpusValidationException>(() => DefinitionVoTable.Write(definition));
        Assert.StartsWith("ctl: cannot be written as XML", error.Message, StringComparison.Ordinal);
        // YAML and JSON keep it.
        Assert.Equal(definition.Script, DefinitionFormats.Read(DefinitionYaml.Write(definition), "y").Script);
        Assert.Equal(definition.Script, DefinitionFormats.Read(DefinitionJson.Write(definition), "j").Script);
    }
}
