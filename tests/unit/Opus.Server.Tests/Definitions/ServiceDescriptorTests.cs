using System.Net;
using Opus.Core.Definitions;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Definitions;

/// <summary>A definition's DataLink service descriptor PARAMs (accessURL, standardID, ...) survive import and every export format.</summary>
public sealed class ServiceDescriptorTests(SampleServerFixture fixture) : IClassFixture<SampleServerFixture>
{
    // As the seed's gammapy VOTable gives them: accessURL and standardID on the ActivityDescription, and a
    // DataLink service descriptor RESOURCE beside it with one more PARAM.
    private static string VoTable(string name) => $"""
        <VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3" version="1.3">
          <RESOURCE ID="{name}" name="{name}" type="meta" utype="voprov:ActivityDescription">
            <DESCRIPTION>Maps around a sky position</DESCRIPTION>
            <PARAM name="accessURL" value="https://uws.example.org/rest/{name}" arraysize="*" datatype="char"/>
            <PARAM name="standardID" value="ivo://ivoa.net/std/UWS#rest-1.1" arraysize="*" datatype="char"/>
            <PARAM name="script" value="echo &quot;$RA&quot; &gt; out.txt" arraysize="*" datatype="char"/>
            <GROUP name="InputParams">
              <PARAM ID="RA" name="RA" datatype="float" value="" unit="deg"><DESCRIPTION>Right ascension</DESCRIPTION></PARAM>
            </GROUP>
            <GROUP name="Used"/>
            <GROUP name="Generated"/>
          </RESOURCE>
          <RESOURCE type="meta" utype="adhoc:service">
            <PARAM name="resourceIdentifier" value="ivo://example.org/gammapy" arraysize="*" datatype="char"/>
          </RESOURCE>
        </VOTABLE>
        """;

    private static Dictionary<string, string> Expected(string name) => new()
    {
        ["accessURL"] = $"https://uws.example.org/rest/{name}",
        ["standardID"] = "ivo://ivoa.net/std/UWS#rest-1.1",
        ["resourceIdentifier"] = "ivo://example.org/gammapy",
    };

    [Fact]
    public async Task Service_descriptor_PARAMs_are_kept_on_import_and_in_every_format()
    {
        var name = $"sd_{Guid.NewGuid().ToString("N")[..10]}";
        using var admin = fixture.Server.AdminClient();
        await admin.ProposeAsync(name, VoTable(name), publish: true);

        foreach (var format in new[] { "yaml", "json", "votable" })
        {
            using var response = await admin.GetAsync($"/jdl/{name}?format={format}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{format}: {(int)response.StatusCode} {body}");
            var definition = DefinitionFormats.Read(body, format);
            Assert.Equal(Expected(name), definition.ServiceDescriptor);

            // And back in: a definition proposed from that export keeps them too.
            var copy = $"{name}_{format}";
            await admin.ProposeAsync(copy, body.Replace(name, copy, StringComparison.Ordinal), publish: true);
            Assert.Equal(Expected(copy), (await admin.GetDefinitionAsync(copy)).ServiceDescriptor);
        }

        using var wadl = await admin.GetAsync($"/jdl/{name}?format=wadl");
        var wadlText = await wadl.Content.ReadAsStringAsync();
        Assert.Contains($"<doc title=\"accessURL\">https://uws.example.org/rest/{name}</doc>", wadlText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_descriptor_PARAM_named_like_a_definition_field_is_refused()
    {
        using var admin = fixture.Server.AdminClient();
        var yaml = """
            name: sd_clash
            script: echo
            serviceDescriptor:
              script: rm -rf /
            """;

        using var response = await admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/sd_clash", yaml);

        await Uws.UwsTestHelpers.AssertRefusedAsync(response, HttpStatusCode.BadRequest, "serviceDescriptor", "script");
    }
}
