using System.Net;
using System.Xml.Linq;
using Opus.Core.Definitions;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>GET /jdl/{name} in each format, chosen by ?format= or by Accept; what comes back reads as the sample file.</summary>
public sealed class DefinitionFormatTests(SampleServerFixture fixture) : IClassFixture<SampleServerFixture>
{
    private static readonly XNamespace Wadl = "http://wadl.dev.java.net/2009/02";

    private HttpClient Client => fixture.Server.Client;

    public static TheoryData<string, string, string> ReadableFormats()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var name in new[] { "copy", "fail", "sleep" })
        {
            data.Add(name, "yaml", "application/yaml");
            data.Add(name, "json", "application/json");
            data.Add(name, "votable", "application/x-votable+xml");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReadableFormats))]
    public async Task Each_format_by_query_reads_back_as_the_sample_file(string name, string format, string mediaType)
    {
        using var response = await Client.GetAsync($"/jdl/{name}?format={format}");

        var body = await AssertDocumentAsync(response, mediaType);
        Assert.Equal(Canonical(Sample(name)), Canonical(DefinitionFormats.Read(body, $"{name}.{format}")));
    }

    [Theory]
    [MemberData(nameof(ReadableFormats))]
    public async Task Each_format_by_Accept_reads_back_as_the_sample_file(string name, string format, string mediaType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/jdl/{name}");
        request.Headers.TryAddWithoutValidation("Accept", mediaType);
        using var response = await Client.SendAsync(request);

        var body = await AssertDocumentAsync(response, mediaType);
        Assert.Equal(Canonical(Sample(name)), Canonical(DefinitionFormats.Read(body, $"{name}.{format} by Accept")));
    }

    [Fact]
    public async Task VOTable_is_the_default_and_the_query_wins_over_Accept()
    {
        using (var plain = await Client.GetAsync("/jdl/copy"))
            Assert.Equal(DefinitionFormat.VoTable, DefinitionFormats.Detect(await AssertDocumentAsync(plain, "application/x-votable+xml")));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/jdl/copy?format=yaml");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        using var both = await Client.SendAsync(request);
        Assert.Equal(DefinitionFormat.Yaml, DefinitionFormats.Detect(await AssertDocumentAsync(both, "application/yaml")));

        // Accept with qualities: the preferred known type is served.
        using var weighted = new HttpRequestMessage(HttpMethod.Get, "/jdl/copy");
        weighted.Headers.TryAddWithoutValidation("Accept", "application/x-votable+xml;q=0.5, application/json");
        using var answer = await Client.SendAsync(weighted);
        await AssertDocumentAsync(answer, "application/json");
    }

    [Theory]
    [InlineData("wadl", null)]
    [InlineData(null, "application/vnd.sun.wadl+xml")]
    public async Task WADL_describes_the_job_list_of_the_definition(string? format, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, format is null ? "/jdl/sleep" : $"/jdl/sleep?format={format}");
        if (accept is not null)
            request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Client.SendAsync(request);
        var wadl = XDocument.Parse(await AssertDocumentAsync(response, "application/vnd.sun.wadl+xml"));
        var sample = Sample("sleep");

        Assert.Equal(Wadl + "application", wadl.Root!.Name);
        var resources = Assert.Single(wadl.Root.Elements(Wadl + "resources"));
        var jobList = Assert.Single(resources.Elements(Wadl + "resource"));
        Assert.Equal("joblist", (string?)jobList.Attribute("id"));
        // WADL appends a resource's path to its parent's URI (a '/' between): the job list must be this
        // server's /rest/sleep, and a job's phase /rest/sleep/{job-id}/phase.
        var jobListUrl = $"{((string)resources.Attribute("base")!).TrimEnd('/')}/{(string)jobList.Attribute("path")!}";
        Assert.Equal(new Uri(fixture.Server.BaseUri, "/rest/sleep").ToString(), jobListUrl);

        // Creating a job takes the definition's parameters with their types and defaults.
        var create = jobList.Elements(Wadl + "method").Single(m => (string?)m.Attribute("id") == "create_job");
        Assert.Equal("POST", (string?)create.Attribute("name"));
        // Form fields are the params of the urlencoded representation (WADL 2.8.2).
        var parameters = create.Element(Wadl + "request")!.Elements(Wadl + "representation").First().Elements(Wadl + "param").ToDictionary(p => (string)p.Attribute("name")!);
        foreach (var parameter in sample.Parameters)
        {
            var param = parameters[parameter.Name];
            Assert.Equal(parameter.Type, (string?)param.Attribute("type"));
            Assert.Equal(parameter.Default, (string?)param.Attribute("default"));
            Assert.Equal(parameter.Required ? "true" : "false", (string?)param.Attribute("required"));
        }

        Assert.Contains("PHASE", parameters.Keys);
        Assert.Contains("RUNID", parameters.Keys);

        // The UWS sub-resources of a job, and the results the definition generates.
        var jobResources = jobList.Elements(Wadl + "resource").ToDictionary(r => (string)r.Attribute("path")!);
        foreach (var path in new[] { "{job-id}", "{job-id}/phase", "{job-id}/executionduration", "{job-id}/destruction", "{job-id}/error",
                     "{job-id}/quote", "{job-id}/results", "{job-id}/results/{result-id}", "{job-id}/parameters", "{job-id}/owner" })
            Assert.Contains(path, jobResources.Keys);
        var resultOptions = jobResources["{job-id}/results/{result-id}"].Descendants(Wadl + "option").Select(o => (string?)o.Attribute("value"));
        Assert.Equal(sample.Generated.Select(g => g.Name), resultOptions);

        // A WADL describes the service, not the job: it cannot be proposed as a definition.
        using var admin = fixture.Server.AdminClient();
        using var proposed = await admin.SendDefinitionAsync(HttpMethod.Post, "/jdl", wadl.ToString());
        await AssertRefusedAsync(proposed, HttpStatusCode.BadRequest, "WADL");
    }

    [Theory]
    [InlineData("pdf")]
    [InlineData("")]
    public async Task An_unknown_format_is_a_400(string format)
    {
        using var response = await Client.GetAsync($"/jdl/copy?format={format}");
        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "format");
    }

    [Fact]
    public async Task An_unknown_definition_or_version_is_a_404()
    {
        using (var unknown = await Client.GetAsync("/jdl/no-such-definition?format=yaml"))
            await AssertRefusedAsync(unknown, HttpStatusCode.NotFound, "no-such-definition");
        using (var version = await Client.GetAsync("/jdl/copy?version=99"))
            await AssertRefusedAsync(version, HttpStatusCode.NotFound, "99");
        using (var versions = await Client.GetAsync("/jdl/no-such-definition/versions"))
            await AssertRefusedAsync(versions, HttpStatusCode.NotFound, "no-such-definition");
    }

    [Fact]
    public async Task The_list_the_versions_and_the_script_of_the_samples()
    {
        Assert.Equal(["copy", "fail", "sleep"], (await Client.ListDefinitionNamesAsync()).Order(StringComparer.Ordinal));

        var versions = await Client.GetVersionsAsync("sleep");
        Assert.Equal(("published", true), Assert.Single(versions, v => v.Key == "1.0").Value);

        using var script = await Client.GetAsync("/jdl/sleep/script");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(Sample("sleep").Script, await script.Content.ReadAsStringAsync());

        // ?version= names the version explicitly.
        Assert.Equal(Canonical(Sample("sleep")), Canonical(await Client.GetDefinitionAsync("sleep", "1.0")));
    }

    /// <summary>Asserts 200, the media type with charset utf-8, and returns the body.</summary>
    private static async Task<string> AssertDocumentAsync(HttpResponseMessage response, string mediaType)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        return body;
    }
}
