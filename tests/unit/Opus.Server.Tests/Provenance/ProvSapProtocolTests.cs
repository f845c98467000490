using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Opus.Server.Tests.Execution;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Provenance.ProvenanceSteps;

namespace Opus.Server.Tests.Provenance;

/// <summary>The ProvSAP protocol (provenance.md section 7): parameters, errors, formats, media types, the drawing, the job's provenance results.</summary>
[Collection(ProvenanceCollection.Name)]
public sealed class ProvSapProtocolTests(ProvenanceFixture fixture)
{
    private static readonly XNamespace Prov = "http://www.w3.org/ns/prov#";
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private HttpClient Client => fixture.Server.Client;

    [Theory]
    [InlineData("DEPTH=1", "ID")]
    [InlineData("ID=", "ID")]
    [InlineData("ID=x&DEPTH=-1", "DEPTH")]
    [InlineData("ID=x&DEPTH=deep", "DEPTH")]
    [InlineData("ID=x&DEPTH=1&depth=2", "DEPTH")]
    [InlineData("ID=x&DIRECTION=UP", "DIRECTION")]
    [InlineData("ID=x&MODEL=PROV", "MODEL")]
    [InlineData("ID=x&RESPONSEFORMAT=PROV-TXT", "RESPONSEFORMAT")]
    [InlineData("ID=x&RESPONSEFORMAT=PROV-N&responseformat=PROV-JSON", "RESPONSEFORMAT")]
    [InlineData("ID=x&AGENTS=2", "AGENTS")]
    [InlineData("ID=x&DESCRIPTIONS=3", "DESCRIPTIONS")]
    [InlineData("ID=x&CONFIGURATION=yes", "CONFIGURATION")]
    [InlineData("ID=x&ATTRIBUTES=some", "ATTRIBUTES")]
    [InlineData("ID=x&GD=UP", "GD")]
    [InlineData("ID=x&MEMBERS=all", "MEMBERS")]
    public async Task A_bad_or_missing_parameter_is_400_naming_it(string query, string parameter)
    {
        using var response = await Client.GetAsync($"/provsap?{query}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(parameter, body);
    }

    [Fact]
    public async Task The_per_job_shortcut_checks_its_parameters_and_the_job_too()
    {
        var job = await Client.RunAsync("test_activity_1", ("text", Unique("shortcut")));

        using (var bad = await Client.GetAsync($"{job.Path}/prov?DIRECTION=sideways"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.StartsWith("DIRECTION", await bad.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetStatusAsync($"/rest/test_activity_1/nosuchjob/prov")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetStatusAsync($"/rest/test_activity_2/{job.Id}/prov")).Status);
        var (status, body) = await Client.GetStatusAsync("/provsap?ID=nosuchjob&RESPONSEFORMAT=PROV-JSON");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("nosuchjob", body);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetStatusAsync($"/provsap?ID={new string('0', 64)}")).Status);
        // ID on the shortcut is the job's own; an ID given there is ignored.
        Assert.Equal([Job("test_activity_1", job.Id)], (await Client.ProvJsonAsync($"{job.Path}/prov?ID=nosuchjob&DEPTH=0")).Keys("activity"));
    }

    [Theory]
    [InlineData("PROV-JSON", "application/json", ".json")]
    [InlineData("application/json", "application/json", ".json")]
    [InlineData("PROV-XML", "application/provenance+xml", ".xml")]
    [InlineData("text/xml", "application/provenance+xml", ".xml")]
    [InlineData("prov-n", "text/provenance-notation", ".provn")]
    [InlineData("PROV-SVG", "image/svg+xml", ".svg")]
    [InlineData("", "image/svg+xml", ".svg")]
    [InlineData("PROV-PNG", "image/png", ".png")]
    public async Task Each_format_has_its_media_type_and_file_name(string format, string mediaType, string extension)
    {
        var job = await Client.RunAsync("test_activity_1", ("text", Unique("formats")));
        var query = $"ID={job.Id}&DEPTH=1&DESCRIPTIONS=2" + (format.Length > 0 ? $"&RESPONSEFORMAT={Uri.EscapeDataString(format)}" : "");

        using var response = await Client.GetAsync($"/provsap?{query}");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        if (mediaType.StartsWith("application/", StringComparison.Ordinal) || mediaType.StartsWith("text/", StringComparison.Ordinal))
            Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet?.ToLowerInvariant());
        Assert.Equal($"inline; filename=\"provsap_{job.Id}{extension}\"", response.Content.Headers.ContentDisposition?.ToString());

        // The same answer as PROV-JSON meets every invariant; the other formats carry the same records.
        var json = await Client.ProvJsonAsync(query.Replace($"&RESPONSEFORMAT={Uri.EscapeDataString(format)}", ""));
        var text = Encoding.UTF8.GetString(bytes);
        switch (extension)
        {
            case ".xml":
                var xml = XDocument.Parse(text);
                Assert.Equal(Prov + "document", xml.Root!.Name);
                foreach (var kind in new[] { "activity", "entity", "agent" })
                    Assert.Equal(json.Keys(kind), xml.Root.Elements(Prov + kind).Select(e => (string)e.Attribute(Prov + "id")!).Order(StringComparer.Ordinal));
                foreach (var kind in new[] { "used", "wasGeneratedBy", "wasAssociatedWith", "wasInfluencedBy", "wasAttributedTo" })
                    Assert.Equal(json.Relations(kind).Count(), xml.Root.Elements(Prov + kind).Count());
                Assert.Equal("voprov:Parameter", xml.Root.Elements(Prov + "entity").SelectMany(e => e.Elements(Prov + "type")).First(t => t.Value == "voprov:Parameter").Value);
                break;
            case ".provn":
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
                Assert.Equal("document", lines[0]);
                Assert.Equal("endDocument", lines[^1]);
                Assert.Equal(7, lines.Count(l => l.StartsWith("prefix ", StringComparison.Ordinal)));
                foreach (var kind in new[] { "activity", "entity", "agent" })
                    Assert.Equal(json.Keys(kind).Count, lines.Count(l => l.StartsWith(kind + "(", StringComparison.Ordinal)));
                Assert.Contains($"activity({Job("test_activity_1", job.Id)}, ", text);
                break;
            case ".svg":
                Assert.Equal(Svg + "svg", ReadSvg(text).Root!.Name);
                break;
            case ".png":
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
                break;
        }
    }

    [Fact]
    public async Task Several_IDs_name_the_file_after_all_of_them_in_safe_characters()
    {
        var job = await Client.RunAsync("test_activity_1", ("text", Unique("names")));
        var sha = job.Job.Sha256Of("output");

        using var response = await Client.GetAsync($"/provsap?ID={job.Id}&ID=opus_store:{sha}&RESPONSEFORMAT=PROV-N");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"inline; filename=\"provsap_{job.Id}_opus_store_{sha}.provn\"", response.Content.Headers.ContentDisposition?.ToString());
    }

    [Fact]
    public async Task The_SVG_drawing_is_XML_with_a_shape_and_colour_per_kind_of_node()
    {
        var a = await Client.RunAsync("test_activity_1", ("text", Unique("drawn")));
        var b = await Client.RunAsync("test_activity_2", ("input", a.Job.Sha256Of("output")));

        using var response = await Client.GetAsync($"/provsap?ID={b.Id}&DEPTH=ALL&DESCRIPTIONS=2&RESPONSEFORMAT=PROV-SVG");
        var svg = ReadSvg(await response.Content.ReadAsStringAsync());
        var json = await Client.ProvJsonAsync($"ID={b.Id}&DEPTH=ALL&DESCRIPTIONS=2");

        var nodes = svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        List<XElement> Of(string kind) => nodes.Where(n => ((string)n.Attribute("id")!).StartsWith(kind + "_", StringComparison.Ordinal)).ToList();
        static string Fill(XElement node, string shape) =>
            ((string?)node.Descendants(Svg + shape).FirstOrDefault()?.Attribute("fill"))?.ToLowerInvariant() ?? $"no {shape}";
        static int Corners(XElement node) =>
            ((string)node.Descendants(Svg + "polygon").First().Attribute("points")!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 1;

        // Activities blue boxes, data entities yellow ellipses, agents orange houses, parameters and descriptions grey.
        Assert.Equal(2, Of("activity").Count);
        Assert.All(Of("activity"), n => Assert.Equal(("#9fb1fc", 4), (Fill(n, "polygon"), Corners(n))));
        Assert.Equal(json.DataEntities().Count, Of("entity").Count);
        Assert.All(Of("entity"), n => Assert.Equal("#fffc87", Fill(n, "ellipse")));
        Assert.Equal(json.Keys("agent").Count, Of("agent").Count);
        Assert.All(Of("agent"), n => Assert.Equal(("#fed37f", 5), (Fill(n, "polygon"), Corners(n))));
        Assert.Equal(2, Of("parameter").Count);
        Assert.All(Of("parameter"), n => Assert.Equal("#e6e6e6", Fill(n, "ellipse")));
        Assert.NotEmpty(Of("description"));
        Assert.All(Of("description"), n => Assert.Equal("#d3d3d3", Fill(n, "polygon")));
        // Labels on nodes, relation names on edges, attributes in notes (ATTRIBUTES=1 by default).
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("test_activity_1", texts);
        Assert.Contains("used", texts);
        Assert.Contains("wasGeneratedBy", texts);
        Assert.Contains("isDescribedBy", texts);
        Assert.NotEmpty(Of("note"));

        using var plain = await Client.GetAsync($"/provsap?ID={b.Id}&ATTRIBUTES=0&GD=TB");
        Assert.DoesNotContain(ReadSvg(await plain.Content.ReadAsStringAsync()).Descendants(Svg + "g"), g => ((string?)g.Attribute("id"))?.StartsWith("note_", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task A_completed_job_lists_its_provenance_among_its_results()
    {
        var job = await Client.RunAsync("test_activity_1", ("text", Unique("listed")));
        var expected = new Dictionary<string, string>
        {
            ["provjson"] = "application/json", ["provxml"] = "application/provenance+xml", ["provsvg"] = "image/svg+xml", ["provn"] = "text/provenance-notation",
        };

        var results = (await Client.GetXmlAsync($"{job.Path}/results")).Root!.Elements(UwsSchema.Uws + "result").ToList();

        Assert.Equal(new[] { "output" }.Concat(expected.Keys), results.Select(r => (string)r.Attribute("id")!));
        foreach (var (name, mediaType) in expected)
        {
            var result = results.Single(r => (string)r.Attribute("id")! == name);
            Assert.Equal(mediaType, (string?)result.Attribute("mime-type"));
            var href = new Uri((string)result.Attribute(UwsSchema.Xlink + "href")!);
            Assert.Equal($"{job.Path}/{name}", href.AbsolutePath);
            using var served = await Client.GetAsync(href.PathAndQuery);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal(mediaType, served.Content.Headers.ContentType?.MediaType);
            // Under /results too, where UWS clients look for results by id.
            using var underResults = await Client.GetAsync($"{job.Path}/results/{name}");
            Assert.Equal(HttpStatusCode.OK, underResults.StatusCode);
            Assert.Equal(mediaType, underResults.Content.Headers.ContentType?.MediaType);
        }

        // provjson is the ProvSAP answer for ID=JOB&DEPTH=1&DIRECTION=BACK&MODEL=IVOA&AGENTS=1&DESCRIPTIONS=0&CONFIGURATION=1.
        var provjson = await Client.ProvJsonAsync($"{job.Path}/provjson");
        var same = await Client.ProvJsonAsync($"ID={job.Id}&DEPTH=1&DIRECTION=BACK&MODEL=IVOA&AGENTS=1&DESCRIPTIONS=0&CONFIGURATION=1");
        Assert.Equal(same.ToJsonString(), provjson.ToJsonString());
    }

    private static XDocument ReadSvg(string text)
    {
        // Graphviz names the SVG 1.1 DTD; nothing is fetched.
        using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
        return XDocument.Load(reader);
    }
}
