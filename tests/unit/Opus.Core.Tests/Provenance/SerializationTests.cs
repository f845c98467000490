using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Opus.Core.Provenance;
using Opus.Tests.Provenance;
using static Opus.Core.Tests.Provenance.ChainExample;

namespace Opus.Core.Tests.Provenance;

/// <summary>
/// The four formats written from one document: the worked examples of provenance.md (section 9.3)
/// reproduced record for record, PROV-JSON and PROV-XML read back into the same records.
/// </summary>
public sealed class SerializationTests
{
    public static TheoryData<string> Examples => new() { "chain_ivoa", "chain_w3c", "forward_job1", "job2_descriptions", "rerun_job3" };

    /// <summary>Each example's request, as section 9.3 gives it, on the example graph.</summary>
    private static Task<ProvDocument> AnswerAsync(string example) => example switch
    {
        "chain_ivoa" => QueryAsync(Graph(), [new ContentNode(E2)], Query(depth: null)),
        "chain_w3c" => QueryAsync(Graph(), [new ContentNode(E2)], Query(depth: null, model: ProvenanceModel.W3C)),
        "forward_job1" => QueryAsync(Graph(), [new JobNode(Job1)], Query(depth: null, direction: ProvenanceDirection.Forward, configuration: false)),
        "job2_descriptions" => QueryAsync(Graph(), [new JobNode(Job2)], Query(depth: 0, descriptions: 2)),
        "rerun_job3" => QueryAsync(Graph(), [new JobNode(Job3)], Query(depth: 0, configuration: false)),
        _ => throw new ArgumentOutOfRangeException(nameof(example)),
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_format_of_an_example_answer_has_the_records_of_the_specification(string example)
    {
        var document = await AnswerAsync(example);
        var checkedFormats = 0;

        if (File.Exists(FixturePath(example + ".json")))
        {
            var json = ProvJsonWriter.WriteString(document);
            ProvInvariants.AssertValid(json);
            AssertSameJson(await File.ReadAllTextAsync(FixturePath(example + ".json")), json);
            checkedFormats++;
        }

        if (File.Exists(FixturePath(example + ".provn")))
        {
            var provn = ProvNWriter.WriteString(document);
            Assert.Empty(ProvNGrammar.Check(provn));
            Assert.Equal(Lines(await File.ReadAllTextAsync(FixturePath(example + ".provn"))), Lines(provn));
            checkedFormats++;
        }

        if (File.Exists(FixturePath(example + ".xml")))
        {
            var xml = ProvXmlWriter.WriteString(document);
            var expected = ProvXmlReader.Read(await File.ReadAllTextAsync(FixturePath(example + ".xml")));
            var actual = ProvXmlReader.Read(xml);
            Assert.Equal(expected.Prefixes, actual.Prefixes);
            Assert.Equal(Canonical(expected), Canonical(actual));
            checkedFormats++;
        }

        Assert.True(checkedFormats > 0);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task PROV_JSON_and_PROV_XML_read_back_into_the_same_records(string example)
    {
        var document = await AnswerAsync(example);

        var fromJson = ProvJsonReader.Read(ProvJsonWriter.WriteString(document));
        Assert.Empty(fromJson.Skipped);
        Assert.Null(fromJson.DefaultNamespace);
        Assert.Equal(document.Prefixes, fromJson.Document.Prefixes);
        Assert.Equal(Canonical(document), Canonical(fromJson.Document));

        var fromXml = ProvXmlReader.Read(ProvXmlWriter.WriteString(document));
        Assert.Equal(document.Prefixes, fromXml.Prefixes);
        Assert.Equal(Canonical(document), Canonical(fromXml));
    }

    [Fact]
    public void Awkward_values_survive_every_format()
    {
        var document = new ProvDocument();
        document.Prefixes.AddRange(ProvNames.PrefixesFor(BaseUrl));
        var job = ProvNames.JobId("copy", "abc");
        var text = "quote \" backslash \\ newline\nline two\ttab, [brackets] = 'single' %% ünï © 🛰";
        document.Records.Add(new ProvRecord(ProvKind.Activity, job, ["2024-05-02T09:30:00.125+00:00", "2024-05-02T09:30:01+00:00"]).Add("prov:label", "copy"));
        document.Records.Add(new ProvRecord(ProvKind.Entity, ProvNames.ParameterId("copy", "abc", "a b@c."), [])
            .Add("prov:type", ProvValue.Name("voprov:Parameter"))
            .Add("prov:value", text)
            .Add("voprov:options", "one")
            .Add("voprov:options", "two, \"three\"")
            .Add("voprov:min", new ProvValue("1.5", "xsd:double")));
        document.Records.Add(new ProvRecord(ProvKind.Agent, ProvNames.UserId("jane.doe@example.org"), []).Add("prov:label", "Jane Doe"));
        document.Records.Add(new ProvRecord(ProvKind.WasAssociatedWith, null, [job, ProvNames.UserId("jane.doe@example.org"), null]).Add("prov:role", "owner"));
        document.Records.Add(new ProvRecord(ProvKind.WasInfluencedBy, null, [job, ProvNames.ParameterId("copy", "abc", "a b@c.")])
            .Add("prov:type", ProvValue.Name("voprov:ConfigurationRelation")).Add("voprov:artefactType", "Parameter"));

        Assert.Equal("opus_job:copy/abc/parameters/a%20b%40c%2E", ProvNames.ParameterId("copy", "abc", "a b@c."));
        var json = ProvJsonWriter.WriteString(document);
        // A multi-valued attribute is a JSON array; a typed value an object with "$" and "type".
        var entity = JsonNode.Parse(json)!["entity"]![ProvNames.ParameterId("copy", "abc", "a b@c.")]!;
        Assert.Equal(2, entity["voprov:options"]!.AsArray().Count);
        Assert.Equal("xsd:double", (string?)entity["voprov:min"]!["type"]);
        Assert.Equal(Canonical(document), Canonical(ProvJsonReader.Read(json).Document));
        Assert.Equal(Canonical(document), Canonical(ProvXmlReader.Read(ProvXmlWriter.WriteString(document))));

        var provn = ProvNWriter.WriteString(document);
        Assert.Empty(ProvNGrammar.Check(provn));
        Assert.Contains("prov:value=\"quote \\\" backslash \\\\ newline\\nline two\\ttab, [brackets] = 'single' %% ünï © 🛰\"", provn);
        Assert.Contains("voprov:options=\"one\", voprov:options=\"two, \\\"three\\\"\"", provn);
        Assert.Contains("voprov:min=\"1.5\" %% xsd:double", provn);
        Assert.Contains("wasAssociatedWith(opus_job:copy/abc, opus_user:jane.doe%40example.org, -, [prov:role=\"owner\"])", provn);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("john@example.org", "john%40example.org")]
    [InlineData("a b", "a%20b")]
    [InlineData("end.", "end%2E")]
    [InlineData(".hidden", "%2Ehidden")]
    [InlineData("-dash", "%2Ddash")]
    [InlineData("x/y#z", "x%2Fy%23z")]
    [InlineData("é", "%C3%A9")]
    [InlineData("🛰", "%F0%9F%9B%B0")]
    [InlineData("a.b-c_d~e", "a.b-c_d~e")]
    public void Local_parts_are_percent_encoded(string part, string encoded) => Assert.Equal(encoded, ProvNames.Encode(part));

    [Fact]
    public void Times_are_UTC_with_an_explicit_offset_and_milliseconds_only_when_needed()
    {
        Assert.Equal("2024-05-02T09:30:00+00:00", ProvNames.FormatTime(At("2024-05-02T09:30:00")));
        Assert.Equal("2024-05-02T09:30:00.250+00:00", ProvNames.FormatTime(At("2024-05-02T09:30:00.2504")));
        Assert.Equal("2024-05-02T07:30:00+00:00", ProvNames.FormatTime(new DateTimeOffset(2024, 5, 2, 9, 30, 0, TimeSpan.FromHours(2)).UtcDateTime));
        Assert.Equal(At("2024-05-02T07:30:00"), ProvNames.ParseTime("2024-05-02T09:30:00+02:00"));
        Assert.Equal(At("2024-05-02T09:30:00"), ProvNames.ParseTime("2024-05-02T09:30:00"));
    }

    private static List<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToList();

    /// <summary>Records as sorted text: kind, identifier, arguments and attributes (in any order); relations without their blank keys.</summary>
    public static List<string> Canonical(ProvDocument document) =>
        document.Records.Select(r =>
                $"{ProvKinds.NameOf(r.Kind)}({r.Id};{string.Join(",", r.Formals.Select(f => f ?? "-"))};" +
                string.Join(",", r.Attributes.Select(a => $"{a.Name}={a.Value.Text}^{a.Value.Datatype}").Order(StringComparer.Ordinal)) + ")")
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>PROV-JSON equality: the same prefixes, the same elements with the same attributes, the same relations (whatever their keys).</summary>
    private static void AssertSameJson(string expected, string actual)
    {
        var want = JsonNode.Parse(expected)!.AsObject();
        var got = JsonNode.Parse(actual)!.AsObject();
        Assert.Equal(want.Select(p => p.Key).Order(), got.Select(p => p.Key).Order());
        foreach (var (kind, section) in want)
        {
            var other = got[kind]!.AsObject();
            if (kind is "prefix" or "activity" or "entity" or "agent")
            {
                Assert.Equal(section!.AsObject().Select(p => p.Key).Order(), other.Select(p => p.Key).Order());
                foreach (var (key, value) in section.AsObject())
                    Assert.True(JsonNode.DeepEquals(value, other[key]), $"{kind} {key}: expected {value?.ToJsonString()} but got {other[key]?.ToJsonString()}");
            }
            else
            {
                Assert.Equal(section!.AsObject().Select(p => Sorted(p.Value!)).Order(), other.Select(p => Sorted(p.Value!)).Order());
            }
        }
    }

    private static string Sorted(JsonNode node) => node switch
    {
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => JsonSerializer.Serialize(p.Key) + ":" + Sorted(p.Value!))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(v => Sorted(v!))) + "]",
        _ => node.ToJsonString(),
    };
}
