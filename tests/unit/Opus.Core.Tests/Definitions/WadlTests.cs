using System.Xml.Linq;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>The WADL follows OPUS's template: a joblist resource whose requests carry the definition's parameters.</summary>
public sealed class WadlTests
{
    private static readonly XNamespace W = "http://wadl.dev.java.net/2009/02";

    internal static readonly string[] ControlParams = ["PHASE", "RUNID", "EXECUTIONDURATION", "DESTRUCTION", "NOTIFY"];

    internal sealed record Param(string Name, string Type, bool Required, string? Default, List<string> Options, List<(string? Title, string Text)> Docs);

    /// <summary>The params of the job-creating POST, as a client would read them.</summary>
    internal static List<Param> CreateParams(string wadl) => Params(Request(XDocument.Parse(wadl), "create_job_parameters"));

    [Fact]
    public void The_gammapy_maps_wadl_describes_every_parameter_with_type_required_default_and_doc()
    {
        var definition = DefinitionVoTable.Read(Fixture("gammapy_maps_vot.xml"), "gammapy_maps_vot.xml");
        var wadl = DefinitionWadl.Write(definition, "https://uws.example.org/rest/");
        var document = XDocument.Parse(wadl);

        Assert.Equal(W + "application", document.Root!.Name);
        var resources = document.Root.Element(W + "resources")!;
        Assert.Equal("https://uws.example.org/rest/", (string?)resources.Attribute("base"));
        var jobList = resources.Element(W + "resource")!;
        Assert.Equal("joblist", (string?)jobList.Attribute("id"));
        Assert.Equal("gammapy_maps", (string?)jobList.Attribute("path"));
        Assert.Equal(definition.Description, jobList.Elements(W + "doc").Single(d => (string?)d.Attribute("title") == "description").Value);
        Assert.Equal("opus-admin@obspm.fr", (string?)jobList.Attribute(DefinitionWadl.OpusExtensions + "contact_email"));

        var create = CreateParams(wadl);
        Assert.Equal([.. ControlParams, "RA", "Dec", "nxpix", "nypix", "binsz", "obsids"], create.Select(p => p.Name));
        Assert.Equal(
            [
                ("RA", "xs:float", true, null),
                ("Dec", "xs:float", true, null),
                ("nxpix", "xs:int", false, "400"),
                ("nypix", "xs:int", false, "400"),
                ("binsz", "xs:float", false, "0.02"),
                ("obsids", "xs:string", false, null),
            ],
            create.Skip(ControlParams.Length).Select(p => (p.Name, p.Type, p.Required, p.Default)));
        var ra = create.Single(p => p.Name == "RA");
        Assert.Contains((null, "Right ascension (ICRS) of the map centre"), ra.Docs);
        Assert.Contains(("unit", "deg"), ra.Docs);
        Assert.Contains(("min", "0"), ra.Docs);
        Assert.Contains(("max", "360"), ra.Docs);
        Assert.Equal("600", create.Single(p => p.Name == "EXECUTIONDURATION").Default);

        // The same fields can be set on a job (POST /{job-id}) and its parameters (POST /{job-id}/parameters).
        var names = create.Skip(ControlParams.Length).Select(p => p.Name).ToList();
        Assert.Equal(names, Params(Request(document, "control_job_parameters")).Select(p => p.Name).Where(names.Contains));
        Assert.Equal(names, Params(Request(document, "set_job_parameters")).Select(p => p.Name).Where(n => n != "RUNID"));

        // Results are the options of result-id, with their media type and file name, as OPUS wrote them.
        var results = document.Descendants(W + "param").Single(p => (string?)p.Attribute("name") == "result-id").Elements(W + "option").ToList();
        Assert.Equal(["map", "log"], results.Select(o => (string?)o.Attribute("value")));
        Assert.Equal(["application/fits", "text/plain"], results.Select(o => (string?)o.Attribute("mediaType")));
        Assert.Equal(["map.fits", "maps.log"], results.Select(o => (string?)o.Attribute(DefinitionWadl.OpusExtensions + "default")));

        var quote = document.Descendants(W + "representation").Single(r => (string?)r.Attribute("id") == "quote");
        Assert.Equal("120", (string?)quote.Attribute(DefinitionWadl.OpusExtensions + "default"));
        Assert.Equal(
            ["job", "job_phase", "job_executionduration", "job_destruction", "job_error", "job_quote", "job_results", "job_result_name", "job_parameters", "job_parameter_name", "job_owner"],
            jobList.Elements(W + "resource").Select(r => (string?)r.Attribute("id")));
    }

    [Fact]
    public void Options_booleans_files_and_used_entities_appear_as_wadl_params()
    {
        var definition = DefinitionYaml.Read("""
            name: choose
            parameters:
              - name: mode
                type: xs:string
                options: [fast, "slow & careful", "<none>"]
                default: fast
                required: true
              - name: verbose
                type: xs:boolean
                default: "false"
              - name: image
                type: file
                required: true
            used:
              - name: catalogue
                url: https://example.org/cat?id=$ID
                required: true
                multiplicity: "*"
              - name: table
                url: file://$ID
            script: echo
            """, "choose.yaml");
        var create = CreateParams(DefinitionFormats.Write(definition, DefinitionFormat.Wadl));

        var mode = create.Single(p => p.Name == "mode");
        Assert.Equal(("xs:string", true, "fast"), (mode.Type, mode.Required, mode.Default));
        Assert.Equal(["fast", "slow & careful", "<none>"], mode.Options);
        Assert.Equal(("xs:boolean", false, "false"), create.Single(p => p.Name == "verbose") is var v ? (v.Type, v.Required, v.Default) : default);
        Assert.Equal(("xs:base64Binary", true), create.Single(p => p.Name == "image") is var i ? (i.Type, i.Required) : default);
        Assert.Equal(("xs:anyURI", true), create.Single(p => p.Name == "catalogue") is var c ? (c.Type, c.Required) : default);
        Assert.Equal(("xs:base64Binary", false), create.Single(p => p.Name == "table") is var t ? (t.Type, t.Required) : default);
        Assert.Equal(DefinitionFormat.Wadl, DefinitionFormats.Detect(DefinitionFormats.Write(definition, DefinitionFormat.Wadl)));
    }

    [Fact]
    public void A_wadl_document_is_not_read_as_a_definition()
    {
        var definition = DefinitionVoTable.Read(Fixture("test_activity_2_vot.xml"), "t");
        var error = Assert.Throws<OpusValidationException>(() => DefinitionFormats.Read(DefinitionWadl.Write(definition), "service.wadl"));
        Assert.StartsWith("service.wadl: a WADL document describes a service", error.Message, StringComparison.Ordinal);
    }

    // A POST's form fields are the params of its urlencoded representation (WADL 2.8.2), which carries the id.
    private static XElement Request(XDocument document, string id) =>
        document.Descendants(W + "representation").Single(r => (string?)r.Attribute("id") == id);

    private static List<Param> Params(XElement request) =>
        request.Elements(W + "param")
            .Select(p => new Param(
                (string)p.Attribute("name")!,
                (string)p.Attribute("type")!,
                (string?)p.Attribute("required") == "true",
                (string?)p.Attribute("default"),
                p.Elements(W + "option").Select(o => (string)o.Attribute("value")!).ToList(),
                p.Elements(W + "doc").Select(d => ((string?)d.Attribute("title"), d.Value)).ToList()))
            .ToList();
}
