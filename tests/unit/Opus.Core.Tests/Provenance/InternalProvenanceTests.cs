using Opus.Core.Provenance;
using Opus.Tests.Provenance;
using static Opus.Core.Tests.Provenance.ChainExample;

namespace Opus.Core.Tests.Provenance;

/// <summary>A job's own detailed provenance (PROV-JSON as logprov writes it), rewritten to our rules and merged under the job.</summary>
public sealed class InternalProvenanceTests
{
    // The shape logprov gives: a default namespace, its own prefixes, attributes PROV does not have, a
    // Parameter as a plain string type, a file found by its location, a second generation of a result.
    private const string Logprov = """
        {
          "prefix": { "default": "param:", "session": "session:", "voprov": "voprov:", "hash": "hash:" },
          "activity": {
            "session:s1_a1": { "prov:startTime": "2024-05-02T09:41:06", "prov:endTime": "2024-05-02T09:41:09", "prov:label": "smooth", "module": "tools" },
            "session:s1_a2": { "prov:startTime": "2024-05-02T08:00:00+00:00", "prov:label": "write" }
          },
          "entity": {
            "session:s1_in": { "prov:location": "file:///scratch/job/inputs/input/output.txt", "voprov:name": "input file" },
            "session:s1_mid": { "prov:label": "smoothed array", "prov:generatedAtTime": "2024-05-02T09:41:08+00:00", "class": "ndarray" },
            "session:s1_width": { "prov:type": "voprov:Parameter", "voprov:name": "width", "prov:value": "3", "prov:label": "width = 3" },
            "hash:1a5fbfa5070038715494538314d3779489c596337880120e8cad433fa8b14c7d": { "prov:label": "final" }
          },
          "agent": { "session:logprov": { "prov:label": "logprov", "prov:type": { "$": "prov:SoftwareAgent", "type": "prov:QUALIFIED_NAME" } } },
          "used": {
            "_:u1": { "prov:activity": "session:s1_a1", "prov:entity": "session:s1_in", "prov:time": "2024-05-02T09:41:06", "prov:role": "data" },
            "_:u2": { "prov:activity": "session:s1_a1", "prov:entity": "session:s1_width", "prov:type": "Setup" },
            "_:u3": { "prov:activity": "session:s1_a2", "prov:entity": "session:s1_mid", "prov:time": "2024-05-02T23:00:00+00:00" },
            "_:u4": { "prov:activity": "session:s1_a2", "prov:entity": "session:undeclared" }
          },
          "wasGeneratedBy": {
            "_:g1": { "prov:entity": "session:s1_mid", "prov:activity": "session:s1_a1", "prov:role": "smoothed" },
            "_:g2": { "prov:entity": "session:s1_mid", "prov:activity": "session:s1_a2" },
            "_:g3": { "prov:entity": "hash:1a5fbfa5070038715494538314d3779489c596337880120e8cad433fa8b14c7d", "prov:activity": "session:s1_a2" }
          },
          "wasDerivedFrom": {
            "_:d1": { "prov:generatedEntity": "hash:1a5fbfa5070038715494538314d3779489c596337880120e8cad433fa8b14c7d", "prov:usedEntity": "session:s1_mid", "prov:activity": "session:s1_a2" }
          },
          "wasAssociatedWith": { "_:w1": { "prov:activity": "session:s1_a1", "prov:agent": "session:logprov", "prov:role": "Operator" } },
          "wasInformedBy": { "_:i1": { "prov:informed": "session:s1_a2", "prov:informant": "session:s1_a1" } },
          "hadMember": { "_:m1": { "prov:collection": "session:s1_mid", "prov:entity": "session:s1_in" } }
        }
        """;

    private static InternalProvenance.Context Context => new("test_activity_2", Job2, At("2024-05-02T09:41:05"), At("2024-05-02T09:41:16"),
    [
        new InternalProvenance.KnownFile("output.txt", E1, ProvNames.ContentId(E1)),
        new InternalProvenance.KnownFile("output.txt", E2, ProvNames.ContentId(E2)),
    ]);

    private static string Internal(string local) => ProvNames.JobEntityId("test_activity_2", Job2, $"internal/session/{local}");

    [Fact]
    public void Identifiers_move_under_the_job_and_the_job_files_become_ours()
    {
        var notes = new List<string>();
        var records = InternalProvenance.Rewrite(Logprov, Context, notes);

        Assert.Equal(new[] { Internal("s1_a1"), Internal("s1_a2") }, records.Records.Where(r => r.Kind == ProvKind.Activity).Select(r => r.Id));
        // The input (by file name) and the result (by digest) are the job's own entities: no internal copy of them.
        Assert.Equal(new[] { Internal("s1_mid"), Internal("s1_width") }, records.Records.Where(r => r.Kind == ProvKind.Entity).Select(r => r.Id));
        Assert.Contains(records.Records, r => r.Kind == ProvKind.Used && r.Formals[1] == ProvNames.ContentId(E1));
        var derivation = Assert.Single(records.Records, r => r.Kind == ProvKind.WasDerivedFrom);
        Assert.Equal([ProvNames.ContentId(E2), Internal("s1_mid"), Internal("s1_a2"), null, null], derivation.Formals);
        Assert.Contains(notes, n => n.Contains("wasInformedBy") || n.Contains("hadMember"));
    }

    [Fact]
    public void The_rewritten_records_obey_the_rules_of_our_documents()
    {
        var records = InternalProvenance.Rewrite(Logprov, Context, []);

        // Times inside the job's interval; a missing end is the job's end.
        var first = records.Find(Internal("s1_a1"))!;
        Assert.Equal(["2024-05-02T09:41:06+00:00", "2024-05-02T09:41:09+00:00"], first.Formals);
        var second = records.Find(Internal("s1_a2"))!;
        Assert.Equal(["2024-05-02T09:41:05+00:00", "2024-05-02T09:41:16+00:00"], second.Formals);
        var late = Assert.Single(records.Records, r => r.Kind == ProvKind.Used && r.Formals[0] == Internal("s1_a2"));
        Assert.Equal("2024-05-02T09:41:16+00:00", late.Formals[2]);
        // One generation per entity; none of the job's own result (the server records that one); no relation to an undeclared entity.
        Assert.Single(records.Records, r => r.Kind == ProvKind.WasGeneratedBy);
        Assert.DoesNotContain(records.Records, r => r.Kind == ProvKind.WasGeneratedBy && r.Formals[0] == ProvNames.ContentId(E2));
        Assert.DoesNotContain(records.Records, r => r.Formals.Any(f => f is not null && f.Contains("undeclared")));
        // Only PROV's allowed attributes and voprov ones; a voprov class as a qualified name; prov:generatedAtTime as voprov's.
        var middle = records.Find(Internal("s1_mid"))!;
        Assert.Equal(new[] { "prov:label", "voprov:generatedAtTime" }, middle.Attributes.Select(a => a.Name));
        Assert.Equal(ProvValue.DateTime, middle.Attribute("voprov:generatedAtTime")!.Datatype);
        Assert.True(records.Find(Internal("s1_width"))!.Attribute("prov:type")!.IsQualifiedName);
        Assert.DoesNotContain(records.Records, r => r.Attributes.Any(a => a.Name is "module" or "class"));
        var agent = records.Find(Internal("logprov"))!;
        Assert.Equal("prov:SoftwareAgent", agent.Attribute("prov:type")!.Text);
    }

    [Fact]
    public async Task Merged_under_the_job_as_steps_of_it_the_answer_stays_valid()
    {
        var graph = Graph();
        var activity = graph.Activities.Single(a => a.JobId == Job2);
        var records = InternalProvenance.Rewrite(Logprov, Context, []);
        records.Prefixes.AddRange(ProvNames.PrefixesFor("urn:opus"));
        graph.Activities.Remove(activity);
        graph.Activities.Add(new ProvActivityRow
        {
            JobId = activity.JobId,
            Definition = activity.Definition,
            DefinitionVersion = activity.DefinitionVersion,
            Owner = activity.Owner,
            Phase = activity.Phase,
            StartTime = activity.StartTime,
            EndTime = activity.EndTime,
            Parameters = activity.Parameters,
            Internal = ProvJsonWriter.WriteString(records),
        });

        var ivoa = await QueryAsync(graph, [new JobNode(Job2)], Query(depth: null));
        var steps = ivoa.Records.Where(r => r.Kind == ProvKind.WasInfluencedBy && r.Attribute("prov:type")?.Text == "voprov:HadStep").ToList();
        Assert.Equal(new[] { Internal("s1_a1"), Internal("s1_a2") }, steps.Select(s => s.Formals[1]));
        Assert.All(steps, s => Assert.Equal(ProvNames.JobId("test_activity_2", Job2), s.Formals[0]));
        Assert.Contains(ivoa.Records, r => r.Kind == ProvKind.WasDerivedFrom);
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(ivoa));
        Assert.Empty(ProvNGrammar.Check(ProvNWriter.WriteString(ivoa)));

        var w3c = await QueryAsync(graph, [new JobNode(Job2)], Query(depth: null, model: ProvenanceModel.W3C, agents: false));
        Assert.DoesNotContain(w3c.Records, r => r.Kind == ProvKind.WasInfluencedBy || r.Kind == ProvKind.Agent || r.Kind == ProvKind.WasAssociatedWith);
        Assert.Contains(w3c.Records, r => r.Id == Internal("s1_a1"));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(w3c));
    }

    [Fact]
    public void Text_that_is_not_PROV_JSON_is_refused()
    {
        Assert.Throws<FormatException>(() => InternalProvenance.Rewrite("not json", Context, []));
        Assert.Throws<FormatException>(() => InternalProvenance.Rewrite("[1, 2]", Context, []));
        Assert.Throws<FormatException>(() => InternalProvenance.Rewrite("""{"entity": {"a:b": 3}}""", Context, []));
    }
}
