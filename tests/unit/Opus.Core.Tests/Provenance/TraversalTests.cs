using Opus.Core.Provenance;
using Opus.Tests.Provenance;
using static Opus.Core.Tests.Provenance.ChainExample;

namespace Opus.Core.Tests.Provenance;

/// <summary>DEPTH, DIRECTION, closure, MODEL and isolation (provenance.md sections 7.2 and 7.3) on the example graph in memory.</summary>
public sealed class TraversalTests
{
    private static readonly string Activity1 = ProvNames.JobId("test_activity_1", Job1);
    private static readonly string Activity2 = ProvNames.JobId("test_activity_2", Job2);
    private static readonly string Activity3 = ProvNames.JobId("test_activity_1", Job3);

    [Theory]
    [InlineData(0, new string[0], new[] { "E2" })]
    [InlineData(1, new[] { "job2" }, new[] { "E1", "E2" })]
    [InlineData(2, new[] { "job2" }, new[] { "E1", "E2" })]
    [InlineData(3, new[] { "job1", "job2" }, new[] { "E1", "E2" })]
    [InlineData(null, new[] { "job1", "job2" }, new[] { "E1", "E2" })]
    public async Task BACK_from_an_entity_counts_one_step_per_link_and_every_job_comes_whole(int? depth, string[] jobs, string[] entities)
    {
        var document = await QueryAsync(Graph(), [new ContentNode(E2)], Query(depth: depth));

        Assert.Equal(jobs.Select(Named).Order(), Ids(document, ProvKind.Activity));
        Assert.Equal(entities.Select(Named).Order(), DataEntities(document));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(document));
    }

    [Theory]
    [InlineData(ProvenanceDirection.Back, 0, new[] { "job2" }, new[] { "E1", "E2" })]
    [InlineData(ProvenanceDirection.Back, null, new[] { "job1", "job2" }, new[] { "E1", "E2" })]
    [InlineData(ProvenanceDirection.Forward, null, new[] { "job2" }, new[] { "E1", "E2" })]
    [InlineData(ProvenanceDirection.Both, null, new[] { "job1", "job2" }, new[] { "E1", "E2" })]
    public async Task A_job_is_followed_back_to_its_producers_or_forward_to_what_was_made_from_it(ProvenanceDirection direction, int? depth, string[] jobs, string[] entities)
    {
        var document = await QueryAsync(Graph(), [new JobNode(Job2)], Query(depth: depth, direction: direction));

        Assert.Equal(jobs.Select(Named).Order(), Ids(document, ProvKind.Activity));
        Assert.Equal(entities.Select(Named).Order(), DataEntities(document));
    }

    [Fact]
    public async Task BOTH_is_the_union_of_BACK_and_FORWARD()
    {
        var graph = Graph();
        var both = await QueryAsync(graph, [new ContentNode(E1)], Query(depth: null, direction: ProvenanceDirection.Both));
        var back = await QueryAsync(graph, [new ContentNode(E1)], Query(depth: null, direction: ProvenanceDirection.Back));
        var forward = await QueryAsync(graph, [new ContentNode(E1)], Query(depth: null, direction: ProvenanceDirection.Forward));

        Assert.Equal([Activity1], Ids(back, ProvKind.Activity));
        Assert.Equal([Activity2], Ids(forward, ProvKind.Activity));
        Assert.Equal(Ids(back, ProvKind.Activity).Union(Ids(forward, ProvKind.Activity)).Order(), Ids(both, ProvKind.Activity));
        Assert.Equal(SerializationTests.Canonical(back).Union(SerializationTests.Canonical(forward)).Order(StringComparer.Ordinal), SerializationTests.Canonical(both));
    }

    [Fact]
    public async Task FORWARD_from_a_job_reaches_the_jobs_that_used_its_output()
    {
        var document = await QueryAsync(Graph(), [new JobNode(Job1)], Query(depth: 1, direction: ProvenanceDirection.Forward));
        Assert.Equal([Activity1], Ids(document, ProvKind.Activity));

        document = await QueryAsync(Graph(), [new JobNode(Job1)], Query(depth: 2, direction: ProvenanceDirection.Forward));
        Assert.Equal(new[] { Activity1, Activity2 }.Order(), Ids(document, ProvKind.Activity));
    }

    [Fact]
    public async Task A_re_generated_result_brings_its_content_and_specializationOf_at_no_step_cost()
    {
        var result = ProvNames.JobEntityId("test_activity_1", Job3, "results/output");

        var document = await QueryAsync(Graph(), [new JobEntityNode(Job3, "results/output")], Query(depth: 0));

        Assert.Empty(Ids(document, ProvKind.Activity));
        Assert.Equal(new[] { result, ProvNames.ContentId(E1) }.Order(), DataEntities(document));
        var specialization = Assert.Single(document.Records, r => r.Kind == ProvKind.SpecializationOf);
        Assert.Equal([result, ProvNames.ContentId(E1)], specialization.Formals);

        // One step back: the job that re-generated it, and through the content (at the same distance) the job that generated it first.
        document = await QueryAsync(Graph(), [new JobEntityNode(Job3, "results/output")], Query(depth: 1));
        Assert.Equal(new[] { Activity1, Activity3 }.Order(), Ids(document, ProvKind.Activity));
        document = await QueryAsync(Graph(), [new JobEntityNode(Job3, "results/output")], Query(depth: 1, direction: ProvenanceDirection.Both));
        Assert.Equal(new[] { Activity1, Activity2, Activity3 }.Order(), Ids(document, ProvKind.Activity));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(document));
    }

    [Fact]
    public async Task A_job_the_caller_may_not_read_is_never_shown_and_the_traversal_stops_at_the_entity()
    {
        // job1 is alice's, job2 bob's; bob asks.
        var graph = Graph(owner1: "alice", owner2: "bob");
        bool Bob(string? owner) => owner == "bob";

        var document = await QueryAsync(graph, [new ContentNode(E2)], Query(depth: null, direction: ProvenanceDirection.Both, descriptions: 2), Bob);

        Assert.Equal([Activity2], Ids(document, ProvKind.Activity));
        var e1 = document.Find(ProvNames.ContentId(E1))!;
        Assert.Null(e1.Attribute("voprov:generatedAtTime"));
        Assert.NotNull(document.Find(ProvNames.ContentId(E2))!.Attribute("voprov:generatedAtTime"));
        Assert.DoesNotContain(document.Records, r => r.Formals.Any(f => f is not null && (f.Contains(Job1) || f.Contains(Job3))));
        Assert.DoesNotContain(document.Records, r => r.Id is not null && (r.Id.Contains(Job1) || r.Id.Contains(Job3) || r.Id == ProvNames.UserId("alice")));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(document));

        // Alice from her side sees her jobs, not bob's, whatever the direction.
        document = await QueryAsync(graph, [new ContentNode(E1)], Query(depth: null, direction: ProvenanceDirection.Both), owner => owner == "alice");
        Assert.Equal([Activity1], Ids(document, ProvKind.Activity));
    }

    [Fact]
    public async Task MODEL_W3C_keeps_PROV_core_only()
    {
        var ivoa = await QueryAsync(Graph(), [new JobNode(Job2)], Query(depth: 0, descriptions: 2));
        var w3c = await QueryAsync(Graph(), [new JobNode(Job2)], Query(depth: 0, descriptions: 2, model: ProvenanceModel.W3C));

        Assert.Contains(ivoa.Records, r => r.Kind == ProvKind.WasInfluencedBy);
        Assert.Contains(ivoa.Records, r => r.Kind == ProvKind.WasAttributedTo);
        Assert.DoesNotContain(w3c.Records, r => r.Kind is ProvKind.WasInfluencedBy or ProvKind.WasAttributedTo);
        Assert.DoesNotContain(w3c.Records, r => r.AttributeValues("prov:type").Any(t => t.Text.StartsWith("voprov:", StringComparison.Ordinal) && t.Text != "voprov:ValueEntity"));
        Assert.Equal(DataEntities(ivoa), DataEntities(w3c));
        Assert.Equal(Ids(ivoa, ProvKind.Activity), Ids(w3c, ProvKind.Activity));
        Assert.Equal([ProvNames.UserId("testuser")], Ids(w3c, ProvKind.Agent));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(w3c));
    }

    [Fact]
    public async Task Values_and_external_URLs_are_job_specific_entities()
    {
        var graph = Graph();
        graph.Links.Add(Link(Job2, ProvLinkKind.Used, "catalog", ProvEntityKind.External, null, "used/catalog", "2024-05-02T09:41:05", "https://data.example.org/cat/m31.fits?x=1"));
        graph.Links.Add(Link(Job2, ProvLinkKind.Used, "band", ProvEntityKind.Value, null, "used/band/2", "2024-05-02T09:41:05", "R"));

        var document = await QueryAsync(graph, [new JobNode(Job2)], Query(depth: 0));

        var external = document.Find(ProvNames.JobEntityId("test_activity_2", Job2, "used/catalog"))!;
        Assert.Equal("m31.fits", external.Attribute("prov:label")!.Text);
        Assert.Equal("https://data.example.org/cat/m31.fits?x=1", external.Attribute("prov:location")!.Text);
        var value = document.Find(ProvNames.JobEntityId("test_activity_2", Job2, "used/band/2"))!;
        Assert.Equal("voprov:ValueEntity", value.Attribute("prov:type")!.Text);
        Assert.Equal("R", value.Attribute("prov:value")!.Text);
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(document));

        // A value leads FORWARD to the job that used it.
        document = await QueryAsync(graph, [new JobEntityNode(Job2, "used/band/2")], Query(depth: 1, direction: ProvenanceDirection.Forward));
        Assert.Equal([Activity2], Ids(document, ProvKind.Activity));
    }

    [Fact]
    public async Task Several_start_points_give_the_union_with_each_record_once()
    {
        var graph = Graph();
        var both = await QueryAsync(graph, [new JobNode(Job1), new JobNode(Job2)], Query(depth: 0));
        var json = ProvJsonWriter.WriteString(both);

        Assert.Equal(new[] { Activity1, Activity2 }.Order(), Ids(both, ProvKind.Activity));
        Assert.Single(both.Records, r => r.Id == ProvNames.ContentId(E1));
        Assert.Single(both.Records, r => r.Id == ProvNames.UserId("testuser"));
        Assert.Equal(both.Relations.Count(), both.Relations.Select(r => r.Signature()).Distinct().Count());
        ProvInvariants.AssertValid(json);
    }

    private static string Named(string name) => name switch
    {
        "job1" => Activity1,
        "job2" => Activity2,
        "job3" => Activity3,
        "E1" => ProvNames.ContentId(E1),
        _ => ProvNames.ContentId(E2),
    };

    private static List<string> Ids(ProvDocument document, ProvKind kind) =>
        document.Records.Where(r => r.Kind == kind).Select(r => r.Id!).Order(StringComparer.Ordinal).ToList();

    /// <summary>Entities that are data (files, values), not parameters or descriptions.</summary>
    private static List<string> DataEntities(ProvDocument document) =>
        document.Records.Where(r => r.Kind == ProvKind.Entity && !r.AttributeValues("prov:type").Any(t => t.Text is not "voprov:ValueEntity"))
            .Select(r => r.Id!).Order(StringComparer.Ordinal).ToList();
}
