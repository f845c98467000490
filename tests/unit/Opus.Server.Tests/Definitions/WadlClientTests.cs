using System.Net;
using System.Xml.Linq;
using System.Xml.Schema;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>A client that reads the served WADL and does what it says gets a job: valid WADL, form fields where Opus reads them.</summary>
public sealed class WadlClientTests(SampleServerFixture fixture) : IClassFixture<SampleServerFixture>
{
    private static readonly XNamespace Wadl = "http://wadl.dev.java.net/2009/02";

    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task The_served_wadl_is_schema_valid_and_its_create_form_creates_a_job_with_a_RUNID()
    {
        using var response = await Client.GetAsync("/jdl/copy?format=wadl");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var wadl = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = new List<string>();
        wadl.Validate(WadlSchema(), (_, e) => errors.Add(e.Message));
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // The create method's urlencoded representation lists the fields; fill the required ones and RUNID, and send them as written.
        var jobList = wadl.Root!.Element(Wadl + "resources")!.Element(Wadl + "resource")!;
        var create = jobList.Elements(Wadl + "method").Single(m => (string?)m.Attribute("id") == "create_job");
        var form = create.Element(Wadl + "request")!.Elements(Wadl + "representation")
            .Single(r => (string?)r.Attribute("mediaType") == "application/x-www-form-urlencoded");
        var fields = form.Elements(Wadl + "param").ToList();
        Assert.All(fields, f => Assert.Equal("query", (string?)f.Attribute("style")));
        var runId = Unique("wadl");
        var values = fields.Where(f => (string?)f.Attribute("required") == "true").Select(f => ((string)f.Attribute("name")!, "from the wadl")).ToList();
        Assert.NotEmpty(values);
        values.Add((Assert.Single(fields, f => (string?)f.Attribute("name") == "RUNID").Attribute("name")!.Value, runId));
        var url = $"{((string)wadl.Root.Element(Wadl + "resources")!.Attribute("base")!).TrimEnd('/')}/{(string)jobList.Attribute("path")!}";

        using var created = await Client.PostFormAsync(url, [.. values]);

        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var job = await Client.GetDocumentAsync(created.Headers.Location!.AbsolutePath);
        Assert.Equal(runId, job.Child("runId").Value);
        Assert.Equal("from the wadl", job.Child("parameters").Element(U("parameter"))!.Value);
    }

    private static XmlSchemaSet WadlSchema()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "schemas");
        var set = new XmlSchemaSet { XmlResolver = null };
        set.Add("http://www.w3.org/XML/1998/namespace", Path.Combine(folder, "xml.xsd"));
        set.Add(Wadl.NamespaceName, Path.Combine(folder, "wadl.xsd"));
        set.Compile();
        return set;
    }
}
