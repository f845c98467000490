using System.Net;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Operations;

/// <summary>IVOA VOSI 1.1: /availability and /capabilities, valid against the IVOA schemas (vendored in schemas/).</summary>
public sealed class VosiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly XNamespace Availability = "http://www.ivoa.net/xml/VOSIAvailability/v1.0";
    private static readonly XNamespace Capabilities = "http://www.ivoa.net/xml/VOSICapabilities/v1.0";

    [Fact]
    public async Task Availability_says_available_with_the_start_time()
    {
        var document = await GetValidAsync("/availability");
        Assert.Equal("availability", document.Root!.Name.LocalName);
        Assert.Equal("true", document.Root.Element(Availability + "available")!.Value);
        var upSince = DateTime.Parse(document.Root.Element(Availability + "upSince")!.Value, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.True(upSince <= DateTime.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Capabilities_list_the_VOSI_resources_and_each_UWS_job_list()
    {
        var document = await GetValidAsync("/capabilities");
        Assert.Equal(Capabilities + "capabilities", document.Root!.Name);
        var capabilities = document.Root.Elements("capability")
            .Select(c => ((string)c.Attribute("standardID")!, c.Element("interface")!.Element("accessURL")!.Value)).ToList();
        var server = fixture.Server.BaseUri.ToString().TrimEnd('/');
        Assert.Contains(("ivo://ivoa.net/std/VOSI#capabilities", $"{server}/capabilities"), capabilities);
        Assert.Contains(("ivo://ivoa.net/std/VOSI#availability", $"{server}/availability"), capabilities);

        // One UWS job list per definition /rest lists, and nothing else.
        var lists = (await fixture.Server.Client.GetStringAsync("/rest")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lists);
        Assert.Equal(
            lists.Select(name => $"{server}/rest/{name}").Order(),
            capabilities.Where(c => c.Item1 == "ivo://ivoa.net/std/UWS#rest-1.1").Select(c => c.Item2).Order());
        foreach (var list in capabilities.Where(c => c.Item1 == "ivo://ivoa.net/std/UWS#rest-1.1"))
            Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Client.GetAsync(list.Item2)).StatusCode);
    }

    private async Task<XDocument> GetValidAsync(string path)
    {
        using var response = await fixture.Server.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return VosiSchema.Validate(body);
    }
}

/// <summary>VOSI availability and capabilities, VOResource 1.3 and VODataService 1.3 (ParamHTTP), nothing fetched.</summary>
public static class VosiSchema
{
    private static readonly Lazy<XmlSchemaSet> Schemas = new(() =>
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "schemas");
        var problems = new List<string>();
        var set = new XmlSchemaSet { XmlResolver = null };
        set.ValidationEventHandler += (_, e) => problems.Add(e.Message);
        // VODataService imports STC for coverage, which no VOSI document uses: a stand-in declares the two STC
        // names it refers to as any content, instead of vendoring STC and its own imports.
        using (var stc = XmlReader.Create(new StringReader(StcStandIn)))
            set.Add(null, stc);
        set.Add("http://www.ivoa.net/xml/VOResource/v1.0", Path.Combine(folder, "VOResource-v1.3.xsd"));
        set.Add("http://www.ivoa.net/xml/VODataService/v1.1", Path.Combine(folder, "VODataService-v1.3.xsd"));
        set.Add("http://www.ivoa.net/xml/VOSIAvailability/v1.0", Path.Combine(folder, "VOSIAvailability-v1.0.xsd"));
        set.Add("http://www.ivoa.net/xml/VOSICapabilities/v1.0", Path.Combine(folder, "VOSICapabilities-v1.0.xsd"));
        set.Compile();
        if (problems.Count > 0)
            throw new Xunit.Sdk.XunitException("the VOSI schemas do not compile:\n" + string.Join("\n", problems));
        return set;
    });

    private const string StcStandIn = """
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.ivoa.net/xml/STC/stc-v1.30.xsd" elementFormDefault="qualified">
          <xs:complexType name="stcDescriptionType"><xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType>
          <xs:element name="STCResourceProfile" type="xs:anyType"/>
        </xs:schema>
        """;

    public static XDocument Validate(string xml)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings { ValidationType = ValidationType.Schema, Schemas = Schemas.Value, XmlResolver = null };
        settings.ValidationFlags |= XmlSchemaValidationFlags.ReportValidationWarnings;
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message} (line {e.Exception?.LineNumber})");
        using (var reader = XmlReader.Create(new StringReader(xml), settings))
        {
            while (reader.Read())
            {
            }
        }

        if (errors.Count > 0)
            throw new Xunit.Sdk.XunitException("not valid against the VOSI schemas:\n" + string.Join("\n", errors) + "\n" + xml);
        return XDocument.Parse(xml);
    }
}
