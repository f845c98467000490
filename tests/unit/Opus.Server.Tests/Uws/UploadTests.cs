using System.Net;
using System.Net.Http.Headers;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Uws;

/// <summary>Inline uploads with multipart/form-data, given by reference (UWS 9.3, 5.7): a server with an upload definition.</summary>
public sealed class UploadTests : IAsyncLifetime
{
    private const string UploadDefinition = """
        name: upload
        version: "1.0"
        description: Copy an uploaded file into a result.
        executionDuration: 60
        used:
          - name: table
            contentType: application/octet-stream
            required: true
            description: The file to copy.
        generated:
          - name: copied
            file: copied.bin
            contentType: application/octet-stream
        script: |
          cat "$table" > copied.bin
        """;

    private readonly string _definitions = Directory.CreateTempSubdirectory("opus-definitions-").FullName;
    private OpusServer _server = null!;

    private HttpClient Client => _server.Client;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_definitions, "upload.yaml"), UploadDefinition);
        _server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:DefinitionsPath"] = _definitions });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_definitions, recursive: true);
    }

    [Fact]
    [Trait("uws", "9.3")]
    [Trait("uws", "5.7")]
    [Trait("uws", "3.5")]
    public async Task An_uploaded_file_is_a_byReference_parameter_whose_content_is_served()
    {
        var content = Enumerable.Range(0, 600).Select(i => (byte)(i * 7 % 256)).ToArray();
        var runId = Unique("upload");
        using var form = new MultipartFormDataContent
        {
            { new StringContent(runId), "RUNID" },
            { new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } }, "table", "input.bin" },
        };

        using var response = await Client.PostAsync("/rest/upload", form);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var job = response.Headers.Location!.AbsolutePath;
        var document = await Client.GetDocumentAsync(job);
        Assert.Equal(runId, document.Child("runId").Value);
        var parameter = Assert.Single(document.Child("parameters").Elements(U("parameter")));
        Assert.Equal("table", (string?)parameter.Attribute("id"));
        Assert.Equal("true", (string?)parameter.Attribute("byReference"));
        var reference = new Uri(parameter.Value.Trim());
        Assert.True(reference.IsAbsoluteUri);
        // The reference may point anywhere on the server; the parameter's own resource serves the content too.
        foreach (var path in new[] { reference.PathAndQuery, $"{job}/parameters/table" })
        {
            using var served = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            Assert.Equal(content, await served.Content.ReadAsByteArrayAsync());
        }

        using (var run = await Client.PostFormAsync($"{job}/phase", ("PHASE", "RUN")))
            AssertSeeOther(run, Client, job);
        Assert.Equal("COMPLETED", (await Client.WaitForFinalPhaseAsync(job)).Phase());
        using var copied = await Client.GetAsync($"{job}/results/copied");
        Assert.Equal(content, await copied.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    [Trait("uws", "9.3")]
    [Trait("uws", "3.2")]
    public async Task A_required_upload_that_is_missing_or_unknown_is_400()
    {
        using (var missing = await Client.PostFormAsync("/rest/upload", ("RUNID", "none")))
            await AssertRefusedAsync(missing, HttpStatusCode.BadRequest, "table");

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent([1, 2, 3]), "table", "a.bin" },
            { new ByteArrayContent([4, 5, 6]), "other", "b.bin" },
        };
        using var unknown = await Client.PostAsync("/rest/upload", form);
        await AssertRefusedAsync(unknown, HttpStatusCode.BadRequest, "other");
        Assert.Empty((await Client.GetJobListAsync("upload")).JobRefs());
    }
}
