using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Provenance;
using Opus.Core.Store;

namespace Opus.Core.Tests.Provenance;

/// <summary>A provenance graph held in memory, for traversal and document tests without a database.</summary>
public sealed class InMemoryProvenanceGraph : IProvenanceGraph
{
    public List<ProvActivityRow> Activities { get; } = [];

    public List<ProvLinkRow> Links { get; } = [];

    public List<StoredEntity> Contents { get; } = [];

    public List<JobDefinition> Definitions { get; } = [];

    public Task<ProvActivityRow?> ActivityAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(Activities.FirstOrDefault(a => a.JobId == jobId));

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfJobAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProvLinkRow>>(Links.Where(l => l.JobId == jobId).ToList());

    public Task<IReadOnlyList<ProvLinkRow>> LinksOfContentAsync(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ProvLinkRow>>(Links.Where(l => l.Sha256 == sha256).ToList());

    public Task<StoredEntity?> ContentAsync(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(Contents.FirstOrDefault(c => c.Sha256 == sha256));

    public Task<JobDefinition?> DefinitionAsync(string name, string version, CancellationToken cancellationToken) =>
        Task.FromResult(Definitions.FirstOrDefault(d => d.Name == name && d.Version == version));
}

/// <summary>
/// The worked example of provenance.md section 9: testuser runs f755f0 (test_activity_1, writes E1),
/// then 43752d (test_activity_2, reads E1, writes E2), then re-runs test_activity_1 as 9c0e11 (E1 again).
/// </summary>
public static class ChainExample
{
    public const string BaseUrl = "https://opus.example.org";
    public const string E1 = "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26";
    public const string E2 = "1a5fbfa5070038715494538314d3779489c596337880120e8cad433fa8b14c7d";
    public const string Job1 = "f755f0";
    public const string Job2 = "43752d";
    public const string Job3 = "9c0e11";

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "provenance", name);

    public static DateTime At(string time) => DateTime.SpecifyKind(DateTime.Parse(time, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);

    public static InMemoryProvenanceGraph Graph(string owner1 = "testuser", string owner2 = "testuser")
    {
        var graph = new InMemoryProvenanceGraph();
        graph.Definitions.Add(new JobDefinition
        {
            Name = "test_activity_1",
            Version = "1",
            Description = "Job for tests, simply writes a text in a file",
            Type = "test",
            Subtype = "test",
            Parameters = [new ParameterDefinition { Name = "text", Type = ParameterTypes.String, Default = "Hello World", Description = "Input text for test job" }],
            Generated = [new GeneratedDefinition { Name = "output", File = "output.txt", ContentType = "text/plain", Description = "Output file that contains the input text" }],
        });
        graph.Definitions.Add(new JobDefinition
        {
            Name = "test_activity_2",
            Version = "1",
            Description = "Job for tests, simply adds input text to a given file",
            Type = "test",
            Subtype = "test",
            ContactName = "opus-admin",
            ContactEmail = "admin@opus",
            ExecutionDuration = 20,
            Quote = 10,
            Parameters = [new ParameterDefinition { Name = "text", Type = ParameterTypes.String, Default = "!", Description = "Input text for test job 2" }],
            Used = [new UsedDefinition { Name = "input", Description = "Input entity for test job 2", ContentType = "text/plain", Url = "file://$ID" }],
            Generated = [new GeneratedDefinition { Name = "output", File = "output.txt", ContentType = "text/plain", Description = "Output file that contains the input file and input text" }],
        });

        graph.Activities.Add(Activity(Job1, "test_activity_1", owner1, "2024-05-02T09:30:00", "2024-05-02T09:30:11", "Hello World"));
        graph.Activities.Add(Activity(Job2, "test_activity_2", owner2, "2024-05-02T09:41:05", "2024-05-02T09:41:16", "!"));
        graph.Activities.Add(Activity(Job3, "test_activity_1", owner1, "2024-05-03T14:00:00", "2024-05-03T14:00:12", "Hello World"));

        graph.Links.Add(Link(Job1, ProvLinkKind.Generated, "output", ProvEntityKind.Content, E1, "results/output", "2024-05-02T09:30:11"));
        graph.Links.Add(Link(Job2, ProvLinkKind.Used, "input", ProvEntityKind.Content, E1, "used/input", "2024-05-02T09:41:05"));
        graph.Links.Add(Link(Job2, ProvLinkKind.Generated, "output", ProvEntityKind.Content, E2, "results/output", "2024-05-02T09:41:16"));
        graph.Links.Add(Link(Job3, ProvLinkKind.Generated, "output", ProvEntityKind.Result, E1, "results/output", "2024-05-03T14:00:12"));

        graph.Contents.Add(new StoredEntity { Sha256 = E1, Size = 12, FileName = "output.txt", ContentType = "text/plain", Owner = owner1, GeneratorJobId = Job1, GeneratorDefinition = "test_activity_1", GeneratorResult = "output" });
        graph.Contents.Add(new StoredEntity { Sha256 = E2, Size = 14, FileName = "output.txt", ContentType = "text/plain", Owner = owner2, GeneratorJobId = Job2, GeneratorDefinition = "test_activity_2", GeneratorResult = "output" });
        return graph;
    }

    public static ProvActivityRow Activity(string jobId, string definition, string? owner, string start, string end, string text) => new()
    {
        JobId = jobId,
        Definition = definition,
        DefinitionVersion = "1",
        Owner = owner,
        Phase = JobPhase.COMPLETED,
        StartTime = At(start),
        EndTime = At(end),
        Parameters = [new ProvParameterValue("text", text)],
    };

    public static ProvLinkRow Link(string jobId, ProvLinkKind kind, string role, ProvEntityKind entityKind, string? sha, string key, string time, string? value = null) => new()
    {
        JobId = jobId,
        Kind = kind,
        Role = role,
        Index = 1,
        EntityKind = entityKind,
        Sha256 = sha,
        Key = key,
        Value = value,
        FileName = sha is null ? null : "output.txt",
        ContentType = sha is null ? null : "text/plain",
        Time = At(time),
    };

    /// <summary>Runs a query on the example graph as ProvenanceService does after resolving the IDs.</summary>
    public static async Task<ProvDocument> QueryAsync(
        InMemoryProvenanceGraph graph, IReadOnlyList<ProvNode> starts, ProvenanceQuery query, Func<string?, bool>? mayRead = null)
    {
        mayRead ??= _ => true;
        var selection = await ProvenanceTraversal.RunAsync(graph, starts, query.Depth, query.Direction, mayRead, CancellationToken.None);
        return await ProvenanceBuilder.BuildAsync(graph, selection, query, mayRead, CancellationToken.None);
    }

    public static ProvenanceQuery Query(int? depth = 1, ProvenanceDirection direction = ProvenanceDirection.Back, ProvenanceModel model = ProvenanceModel.Ivoa,
        int descriptions = 0, bool configuration = true, bool agents = true) => new()
    {
        Ids = ["example"],
        Depth = depth,
        Direction = direction,
        Model = model,
        Descriptions = descriptions,
        Configuration = configuration,
        Agents = agents,
        BaseUrl = BaseUrl,
    };
}
