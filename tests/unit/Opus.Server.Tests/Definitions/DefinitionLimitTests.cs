using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>A server with the default document size limit and at most two pending proposals per user; carol is not an admin.</summary>
public sealed class DefinitionLimitFixture : IAsyncLifetime
{
    public const int MaxPending = 2;

    public OpusServer Server { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Carol { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:Definitions:MaxPendingProposalsPerUser"] = MaxPending.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Admin = Server.AdminClient();
        Carol = await CreateUserAsync(Server, "carol", "*");
    }

    public async Task DisposeAsync()
    {
        Admin?.Dispose();
        Carol?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// Issue 13, items 1, 2 and 8: hostile definition documents (deep nesting, alias bombs, oversized
/// documents, a flood of proposals, values of the wrong type) are answered with a 400, 403 or 413
/// and a plain one-line message; nothing is stored and the server keeps answering.
/// </summary>
public sealed class DefinitionLimitTests(DefinitionLimitFixture fixture) : IClassFixture<DefinitionLimitFixture>
{
    private const string SizeKey = "Opus:Definitions:MaxDocumentBytes";
    private const int DefaultMaxBytes = 1 << 20;

    private OpusServer Server => fixture.Server;

    private HttpClient Admin => fixture.Admin;

    /// <summary>The routes that take a definition document: the check, a new definition, a new version.</summary>
    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "/jdl/check" },
        { "POST", "/jdl" },
        { "PUT", "/jdl/hostile" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_hundred_thousand_nested_groups_are_over_the_size_limit(string method, string path)
    {
        var document = NestedGroups(100_000);
        Assert.True(document.Length > DefaultMaxBytes);
        await AssertRefusedAndNothingStoredAsync(method, path, document, HttpStatusCode.RequestEntityTooLarge, SizeKey);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Nesting_deeper_than_the_limit_under_the_size_limit_is_refused(string method, string path)
    {
        var document = NestedGroups(60_000);
        Assert.True(document.Length < DefaultMaxBytes);
        await AssertRefusedAndNothingStoredAsync(method, path, document, HttpStatusCode.BadRequest, "deeper than 32");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_yaml_billion_laughs_is_refused(string method, string path)
    {
        var laughs = new StringBuilder("a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
        for (var i = 1; i < 10; i++)
            laughs.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        await AssertRefusedAndNothingStoredAsync(method, path, laughs.ToString(), HttpStatusCode.BadRequest, "line 1");
    }

    /// <summary>
    /// Every field in its place, one 100 kB description and parameters repeating it by alias up to 1 MB:
    /// expanded, 10 MB stored and answered. Aliases are refused at the first one.
    /// </summary>
    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_megabyte_of_aliases_is_refused_at_the_first_alias(string method, string path)
    {
        var yaml = new StringBuilder($"name: hostile\nversion: \"1\"\nscript: echo\ndescription: &d \"{new string('x', 100_000)}\"\nparameters:\n");
        for (var i = 0; yaml.Length < 1_000_000; i++)
            yaml.Append($"  - {{name: p{i}, type: xs:string, description: *d}}\n");
        await AssertRefusedAndNothingStoredAsync(method, path, yaml.ToString(), HttpStatusCode.BadRequest, "line 6", "aliases (*d) are not allowed");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_document_over_the_size_limit_is_refused_in_every_format(string method, string path)
    {
        var script = string.Concat(Enumerable.Range(0, 120_000).Select(i => $"echo {i}\n"));
        Assert.True(script.Length > DefaultMaxBytes);
        var quoted = script.Replace("\n", "\\n", StringComparison.Ordinal);
        await AssertRefusedAndNothingStoredAsync(method, path, $"name: hostile\nversion: \"1\"\nscript: \"{quoted}\"\n", HttpStatusCode.RequestEntityTooLarge, SizeKey);
        await AssertRefusedAndNothingStoredAsync(method, path, $"{{\"name\": \"hostile\", \"version\": \"1\", \"script\": \"{quoted}\"}}", HttpStatusCode.RequestEntityTooLarge, SizeKey);
        var votable = $"<VOTABLE><RESOURCE name=\"hostile\"><PARAM name=\"script\" value=\"{script.Replace("\n", "&#10;", StringComparison.Ordinal)}\"/></RESOURCE></VOTABLE>";
        await AssertRefusedAndNothingStoredAsync(method, path, votable, HttpStatusCode.RequestEntityTooLarge, SizeKey);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_oversized_document_without_a_length_or_as_a_file_is_refused(string method, string path)
    {
        var document = Encoding.UTF8.GetBytes($"name: hostile\nversion: \"1\"\nscript: |\n{string.Concat(Enumerable.Repeat("  echo\n", 200_000))}");
        var before = await DefinitionRowsAsync();

        // Chunked: Kestrel cannot refuse it by its Content-Length, so the limit stops the read.
        using (var chunked = await Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new ChunkedContent(document) }))
            AssertPlain(await AssertRefusedAsync(chunked, HttpStatusCode.RequestEntityTooLarge, SizeKey));

        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(document) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, "file", "hostile.yaml" },
        };
        using (var file = await Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = form }))
            AssertPlain(await AssertRefusedAsync(file, HttpStatusCode.RequestEntityTooLarge, SizeKey));

        Assert.Equal(before, await DefinitionRowsAsync());
        await AssertServerAnswersAsync();
    }

    /// <summary>A document of exactly the limit is read; one byte more is refused, also as a file whose form is within the envelope.</summary>
    [Fact]
    public async Task The_size_limit_counts_bytes_and_is_inclusive()
    {
        static byte[] Sized(int bytes)
        {
            var head = "name: sized\nversion: \"1\"\nscript: |\n  echo é\n  #";
            var padding = bytes - Encoding.UTF8.GetByteCount(head) - 1;
            return Encoding.UTF8.GetBytes(head + new string('x', padding) + "\n");
        }

        var atLimit = Sized(DefaultMaxBytes);
        Assert.Equal(DefaultMaxBytes, atLimit.Length);
        using (var accepted = await Admin.PostAsync("/jdl/check?format=json", new ByteArrayContent(atLimit) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }))
            Assert.True(accepted.StatusCode == HttpStatusCode.OK, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");

        var before = await DefinitionRowsAsync();
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Sized(DefaultMaxBytes + 1)) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, "file", "sized.yaml" },
        };
        using (var refused = await Admin.PutAsync("/jdl/sized", form))
            AssertPlain(await AssertRefusedAsync(refused, HttpStatusCode.RequestEntityTooLarge, "sized.yaml", SizeKey));
        Assert.Equal(before, await DefinitionRowsAsync());
    }

    [Fact]
    public async Task A_user_with_the_most_pending_proposals_may_not_propose_another_until_an_admin_decides()
    {
        var carol = fixture.Carol;
        var names = Enumerable.Range(0, DefinitionLimitFixture.MaxPending + 1).Select(_ => UniqueName("pending")).ToList();
        foreach (var name in names.Take(DefinitionLimitFixture.MaxPending))
            await carol.ProposeAsync(name, Minimal(name));
        var before = await DefinitionRowsAsync();

        using (var refused = await carol.SendDefinitionAsync(HttpMethod.Put, $"/jdl/{names[^1]}", Minimal(names[^1])))
            AssertPlain(await AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "quota reached", "Opus:Definitions:MaxPendingProposalsPerUser"));
        using (var refused = await carol.SendDefinitionAsync(HttpMethod.Post, "/jdl", Minimal(names[^1])))
            await AssertRefusedAsync(refused, HttpStatusCode.Forbidden, "MaxPendingProposalsPerUser");
        using (var missing = await Admin.GetAsync($"/jdl/{names[^1]}/versions"))
            await AssertRefusedAsync(missing, HttpStatusCode.NotFound, names[^1]);
        Assert.Equal(before, await DefinitionRowsAsync());

        // Proposing a stored version again changes nothing, so it is not refused.
        Assert.Equal("proposed", (string?)(await carol.ProposeAsync(names[0], Minimal(names[0])))["status"]);
        Assert.Equal(before, await DefinitionRowsAsync());

        // Once an admin publishes one of them, carol may propose again.
        using (var publish = await Admin.PostFormAsync($"/jdl/{names[0]}/publish", ("version", "1")))
            Assert.Equal(HttpStatusCode.SeeOther, publish.StatusCode);
        await carol.ProposeAsync(names[^1], Minimal(names[^1]));

        // Admins are not limited.
        foreach (var name in Enumerable.Range(0, DefinitionLimitFixture.MaxPending + 1).Select(_ => UniqueName("admin-pending")))
            Assert.Equal("proposed", (string?)(await Admin.ProposeAsync(name, Minimal(name)))["status"]);
    }

    /// <summary>A value of the wrong type is named by its field and what was expected, never by a .NET type.</summary>
    [Theory]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nparameters: [[1, 2]]\n", "line 4, column 14: parameters[0]: expected a mapping of fields, found a list")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nparameters: 5\n", "parameters: expected a list, found '5'")]
    [InlineData("name: [hostile]\nversion: \"1\"\nscript: echo\n", "line 1, column 7: name: expected a text, found a list")]
    [InlineData("name: hostile\nversion: {a: 1}\nscript: echo\n", "version: expected a text, found a mapping")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: [echo]\n", "script: expected a text, found a list")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nexecutionDuration: soon\n", "executionDuration: expected an integer, found 'soon'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nexecutionDuration: [1]\n", "executionDuration: expected an integer, found a list")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nquote: 1.5\n", "quote: expected an integer, found '1.5'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nresources: 5\n", "resources: expected a mapping of fields, found '5'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nresources: {cpus: many}\n", "resources.cpus: expected an integer, found 'many'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nparameters:\n  - name: a\n    required: maybe\n", "parameters[0].required: expected true or false, found 'maybe'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nparameters:\n  - name: a\n    options: {a: 1}\n", "parameters[0].options: expected a list, found a mapping")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nparameters:\n  - name: a\n    options: [[1]]\n", "parameters[0].options[0]: expected a text, found a list")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nused: [1]\n", "used[0]: expected a mapping of fields, found '1'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nused:\n  - name: a\n    required: [x]\n", "used[0].required: expected true or false, found a list")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nused:\n  - name: a\n    required: {x: 1}\n", "used[0].required: expected true or false, found a mapping")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nnmae: x\n", "line 4, column 1: unknown field 'nmae'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\nresources: {cpu: 1}\n", "unknown field 'cpu'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\ngenerated:\n  - name: a\n    file: [a]\n", "generated[0].file: expected a text, found a list")]
    [InlineData("- 1\n- 2\n", "line 1, column 1: expected a mapping of fields, found a list")]
    [InlineData("just a text\n", "expected a mapping of fields, found 'just a text'")]
    [InlineData("name: !!int hostile\nscript: echo\n", "name: expected a text, found 'hostile' tagged 'tag:yaml.org,2002:int'")]
    [InlineData("name: hostile\nversion: \"1\"\nscript: echo\n---\nname: other\n", "line 4, column 1: a definition is one YAML document")]
    [InlineData("{\"name\": \"hostile\", \"parameters\": [[1, 2]]}", "($.parameters[0]): expected an object")]
    [InlineData("{\"name\": \"hostile\", \"parameters\": 5}", "($.parameters): expected a list")]
    [InlineData("{\"name\": {\"a\": 1}}", "($.name): expected a text")]
    [InlineData("{\"name\": \"hostile\", \"executionDuration\": 1e99}", "($.executionDuration): expected an integer")]
    [InlineData("{\"name\": \"hostile\", \"quote\": true}", "($.quote): expected an integer")]
    [InlineData("{\"name\": \"hostile\", \"resources\": {\"cpus\": [1]}}", "($.resources.cpus): expected an integer")]
    [InlineData("{\"name\": \"hostile\", \"resources\": 5}", "($.resources): expected an object")]
    [InlineData("{\"name\": \"hostile\", \"parameters\": [{\"name\": \"a\", \"required\": \"maybe\"}]}", "($.parameters[0].required): expected true or false")]
    [InlineData("{\"name\": \"hostile\", \"parameters\": [{\"name\": \"a\", \"options\": {\"a\": 1}}]}", "($.parameters[0].options): expected a list")]
    [InlineData("{\"name\": \"hostile\", \"used\": [5]}", "($.used[0]): expected an object")]
    [InlineData("{\"name\": \"hostile\", \"generated\": \"x\"}", "($.generated): expected a list")]
    [InlineData("{\"name\": \"hostile\", \"parameters\": " + "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" + "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "depth of 32")]
    public async Task A_value_of_the_wrong_type_is_named_by_its_field(string document, string expected)
    {
        foreach (var (method, path) in new[] { ("POST", "/jdl/check"), ("PUT", "/jdl/hostile") })
            await AssertRefusedAndNothingStoredAsync(method, path, document, HttpStatusCode.BadRequest, expected);
    }

    [Fact]
    public async Task A_name_of_invalid_utf8_in_the_path_or_the_body_is_a_plain_400()
    {
        var before = await DefinitionRowsAsync();
        using (var path = await Admin.SendDefinitionAsync(HttpMethod.Put, "/jdl/%ff%fe%c0", Minimal("hostile")))
            AssertPlain(await AssertRefusedAsync(path, HttpStatusCode.BadRequest, "the document defines 'hostile'"));

        var body = Encoding.UTF8.GetBytes("name: \"").Concat(new byte[] { 0xff, 0xfe, 0xc0 }).Concat(Encoding.UTF8.GetBytes("\"\nversion: \"1\"\nscript: echo\n")).ToArray();
        using (var invalid = await Admin.PutAsync("/jdl/%ff%fe", new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }))
            AssertPlain(await AssertRefusedAsync(invalid, HttpStatusCode.BadRequest, "name:"));

        Assert.Equal(before, await DefinitionRowsAsync());
        await AssertServerAnswersAsync();
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_multipart_body_cut_short_is_a_400(string method, string path)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("--cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.yaml\"\r\n\r\nname: a\n"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=cut");
        var before = await DefinitionRowsAsync();
        using (var response = await Admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = content }))
            AssertPlain(await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "multipart"));
        Assert.Equal(before, await DefinitionRowsAsync());
        await AssertServerAnswersAsync();
    }

    private async Task AssertRefusedAndNothingStoredAsync(string method, string path, string document, HttpStatusCode expected, params string[] mentions)
    {
        var before = await DefinitionRowsAsync();
        using (var response = await Admin.SendDefinitionAsync(new HttpMethod(method), path, document))
            AssertPlain(await AssertRefusedAsync(response, expected, mentions));
        Assert.Equal(before, await DefinitionRowsAsync());
        using (var missing = await Admin.GetAsync("/jdl/hostile/versions"))
            await AssertRefusedAsync(missing, HttpStatusCode.NotFound, "hostile");
        await AssertServerAnswersAsync();
    }

    /// <summary>No .NET type, assembly, version or server path in an answer.</summary>
    private void AssertPlain(string message)
    {
        foreach (var word in new[] { "System.", "YamlDotNet", "Version=", "PublicKeyToken", "Culture=", "Opus.Core", "Microsoft.", Server.DataPath, OpusServer.RepositoryRoot })
            Assert.DoesNotContain(word, message, StringComparison.OrdinalIgnoreCase);
        if (message.Length > 600)
            Assert.Fail($"the message is {message.Length} characters long: {message[..600]}...");
    }

    private async Task AssertServerAnswersAsync()
    {
        using var health = await Admin.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("copy", await Admin.ListDefinitionNamesAsync());
    }

    /// <summary>Every stored version of every definition, from the server's database.</summary>
    private async Task<long> DefinitionRowsAsync()
    {
        await using var db = await TestPostgres.OpenDatabaseAsync(Server);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM definitions";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    private static string Minimal(string name) => $"name: {name}\nversion: \"1\"\nscript: echo {name}\n";

    /// <summary>A VOTable ActivityDescription whose RESOURCE holds <paramref name="depth"/> nested GROUPs.</summary>
    private static string NestedGroups(int depth) =>
        "<VOTABLE xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\"><RESOURCE name=\"hostile\" type=\"meta\" utype=\"voprov:ActivityDescription\">"
        + string.Concat(Enumerable.Repeat("<GROUP>", depth)) + string.Concat(Enumerable.Repeat("</GROUP>", depth))
        + "</RESOURCE></VOTABLE>";

    /// <summary>A body sent chunked, without a Content-Length.</summary>
    private sealed class ChunkedContent(byte[] content) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(content).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
