using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Opus.Core.Definitions;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>Every WADL Opus writes is valid against the W3C WADL schema (schemas/wadl.xsd), as clients' WADL readers expect.</summary>
public sealed class WadlSchemaTests
{
    private static readonly Lazy<XmlSchemaSet> Schema = new(() =>
    {
        // xml.xsd first, so wadl.xsd's import is satisfied from the set and nothing is fetched.
        var folder = Path.Combine(AppContext.BaseDirectory, "schemas");
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add("http://www.w3.org/XML/1998/namespace", Path.Combine(folder, "xml.xsd"));
        set.Add(DefinitionWadl.Namespace.NamespaceName, Path.Combine(folder, "wadl.xsd"));
        set.Compile();
        return set;
    });

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.yaml").Order(StringComparer.Ordinal))
            data.Add("samples/" + Path.GetFileName(file));
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "*_vot.xml").Order(StringComparer.Ordinal))
            data.Add("Fixtures/" + Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_wadl_of_every_sample_definition_is_schema_valid(string sample)
    {
        var definition = DefinitionFormats.Read(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, sample)), Path.GetFileName(sample));

        AssertValid(DefinitionWadl.Write(definition, "https://uws.example.org/rest/"));
    }

    [Fact]
    public void The_wadl_of_a_definition_with_every_kind_of_field_is_schema_valid()
    {
        var definition = DefinitionYaml.Read("""
            name: every_field
            description: options, files, used entities, units and limits
            doculink: https://example.org/doc
            contactName: Someone
            contactEmail: someone@example.org
            parameters:
              - name: mode
                type: xs:string
                options: [fast, "slow & careful"]
                default: fast
              - name: level
                type: xs:int
                unit: m
                min: "0"
                max: "9"
              - name: image
                type: file
                required: true
            used:
              - name: catalogue
                url: https://example.org/cat?id=$ID
                multiplicity: "*"
            generated:
              - name: out
                file: out.txt
                contentType: text/plain
                description: the output
            script: echo
            """, "every_field.yaml");

        AssertValid(DefinitionWadl.Write(definition));
    }

    [Fact]
    public void The_schema_check_catches_what_OPUS_wrote()
    {
        // OPUS's WADL put an id on the request; the check must see it, or the tests above prove nothing.
        var invalid = DefinitionWadl.Write(DefinitionVoTable.Read(Fixture("gammapy_maps_vot.xml"), "gammapy_maps_vot.xml"))
            .Replace("<request>", "<request id=\"create_job\">", StringComparison.Ordinal);

        Assert.NotEmpty(Errors(invalid));
    }

    private static void AssertValid(string wadl)
    {
        var errors = Errors(wadl);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static List<string> Errors(string wadl)
    {
        var errors = new List<string>();
        XDocument.Parse(wadl).Validate(Schema.Value, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }
}
