using Opus.Core.Definitions;
using Opus.Core.Jobs;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>OPUS's JSON form (GET /jdl/&lt;name&gt;/json) maps onto our model.</summary>
public sealed class OpusJsonTests
{
    // What OPUS answers for test_activity_2: its VOTable read into a dict, plus the control parameters.
    private const string TestActivity2 = """
        {
          "control_parameters": {"PHASE": {"datatype": "xs:string", "default": "PENDING", "required": false}},
          "control_parameters_keys": ["PHASE"],
          "name": "test_activity_2",
          "parameters": {
            "text": {"datatype": "xs:string", "required": "true", "default": "!", "unit": "", "ucd": "", "utype": "", "annotation": "Input text for test job 2"}
          },
          "generated": {
            "output": {"annotation": "Output file that contains the input file and input text", "role": "", "multiplicity": "", "default": "output.txt", "content_type": "text/plain"}
          },
          "used": {
            "input": {"datatype": "xs:string", "annotation": "Input entity for test job 2", "url": "file://$ID", "role": "", "multiplicity": "", "default": "input.txt", "content_type": ""}
          },
          "annotation": "Job for tests, simply adds input text to a given file",
          "doculink": "",
          "type": "test",
          "subtype": "test",
          "version": "1",
          "contact_name": "opus-admin",
          "contact_email": "admin@opus",
          "executionDuration": "20",
          "quote": "10",
          "script": "sleep 5\r\ncat $input > $output\r\necho $text >> $output\r\n",
          "parameters_keys": ["text"],
          "used_keys": ["input"],
          "generated_keys": ["output"]
        }
        """;

    [Fact]
    public void Opus_json_of_test_activity_2_reads_as_its_votable_does()
    {
        var fromJson = DefinitionFormats.Read(TestActivity2, "test_activity_2.json");
        var fromVoTable = DefinitionFormats.Read(Fixture("test_activity_2_vot.xml"), "test_activity_2_vot.xml");
        Assert.Equal(Canonical(fromVoTable), Canonical(fromJson));
    }

    [Fact]
    public void Opus_json_fields_map_to_the_model()
    {
        const string json = """
            {
              "name": "maps",
              "annotation": "Make maps",
              "version": 2.1,
              "executionDuration": 300,
              "quote": "",
              "script": "run",
              "parameters_keys": ["b", "a"],
              "parameters": {
                "a": {"datatype": "xs:integer", "required": false, "default": "4", "min": "1", "max": 10, "options": "2, 4,8", "annotation": "A", "unit": "pix", "ucd": "meta.number", "utype": "x:y"},
                "b": {"datatype": "xs:double", "required": "True", "default": "", "annotation": ""},
                "c": {"datatype": "file", "required": "false"},
                "d": {"type": "xs:anyURI"}
              },
              "used": {"ev": {"datatype": "file", "annotation": "Events", "url": "https://x.org/?id=$ID", "role": "events", "multiplicity": "*", "default": "e1", "content_type": "application/fits"}},
              "generated": {"img": {"annotation": "Image", "role": "", "multiplicity": "1", "default": "*.png", "content_type": "image/png"}}
            }
            """;
        var d = DefinitionFormats.Read(json, "maps.json");

        Assert.Equal(("maps", "Make maps", "2.1", 300), (d.Name, d.Description, d.Version, d.ExecutionDuration));
        Assert.Null(d.Quote);
        // parameters_keys first, then the rest in document order.
        Assert.Equal(["b", "a", "c", "d"], d.Parameters.Select(p => p.Name));
        var a = d.FindParameter("a")!;
        Assert.Equal(("xs:int", false, "4", "1", "10", "A", "pix", "meta.number", "x:y"), (a.Type, a.Required, a.Default, a.Min, a.Max, a.Description, a.Unit, a.Ucd, a.Utype));
        Assert.Equal(["2", "4", "8"], a.Options);
        var b = d.FindParameter("b")!;
        Assert.Equal(("xs:double", true, null, null), (b.Type, b.Required, b.Default, b.Description));
        Assert.Equal((ParameterTypes.File, false), (d.FindParameter("c")!.Type, d.FindParameter("c")!.Required));
        Assert.Equal(ParameterTypes.AnyUri, d.FindParameter("d")!.Type);

        var ev = Assert.Single(d.Used);
        Assert.Equal(("ev", "Events", "https://x.org/?id=$ID", "events", "*", "e1", "application/fits"), (ev.Name, ev.Description, ev.Url, ev.Role, ev.Multiplicity, ev.Default, ev.ContentType));
        var img = Assert.Single(d.Generated);
        Assert.Equal(("img", "*.png", "image/png", "Image", null, "1"), (img.Name, img.File, img.ContentType, img.Description, img.Role, img.Multiplicity));
    }

    [Fact]
    public void Opus_json_problems_are_listed_together_with_validation_problems()
    {
        const string json = """
            {
              "name": "bad",
              "annotation": "x",
              "executionDuration": "soon",
              "parameters": {
                "a": {"datatype": "complex"},
                "b": {"datatype": "xs:int", "required": "maybe", "default": "x"},
                "c": "not an object"
              }
            }
            """;
        var error = Assert.Throws<OpusValidationException>(() => DefinitionFormats.Read(json, "bad.json"));
        Assert.StartsWith("bad.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("executionDuration: 'soon' is not a whole number of seconds", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameters.a.datatype: unknown datatype 'complex'", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameters.b.required: 'maybe' is not true or false", error.Message, StringComparison.Ordinal);
        Assert.Contains("parameters.c: expected an object", error.Message, StringComparison.Ordinal);
        Assert.Contains("(b).default: 'x' is not an integer", error.Message, StringComparison.Ordinal);
        Assert.Contains("script: must not be empty", error.Message, StringComparison.Ordinal);
    }
}
