using Opus.Core.Provenance;
using Opus.Core.Users;
using Opus.Tests.Provenance;
using Xunit.Abstractions;
using static Opus.Core.Tests.Provenance.ProvenanceRows;

namespace Opus.Core.Tests.Provenance;

/// <summary>
/// Traversal on a real database (SQLite here, PostgreSQL in PostgresProvenanceTraversalTests): it reads
/// in a few batched queries, not one or more per node, and it selects, and documents, exactly what the
/// node-by-node walk it replaced did (<see cref="ReferenceTraversal"/>), on random graphs of several owners.
/// </summary>
public abstract class ProvenanceTraversalDatabaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Caller Admin = new("root", [Caller.AdminRole]);
    private static readonly Caller Alice = new("alice", ["*"]);
    private static readonly Caller Bob = new("bob", ["*"]);
    private static readonly Caller Anonymous = new("anonymous", ["*"], Anonymous: true);

    protected ProvenanceDatabase Database { get; private set; } = null!;

    /// <summary>How many random graphs the comparison with the reference walks.</summary>
    protected virtual int RandomGraphs => 3;

    protected abstract Task<ProvenanceDatabase> CreateDatabaseAsync();

    public async Task InitializeAsync() => Database = await CreateDatabaseAsync();

    public async Task DisposeAsync() => await Database.DisposeAsync();

    [Fact]
    public async Task A_chain_is_read_in_the_same_few_queries_whatever_its_length()
    {
        await Database.AddAsync(Chain("short", 10));
        await Database.AddAsync(Chain("long", 50));

        foreach (var (direction, depth) in new (ProvenanceDirection, int?)[] { (ProvenanceDirection.Back, null), (ProvenanceDirection.Forward, null), (ProvenanceDirection.Back, 15), (ProvenanceDirection.Both, null) })
        {
            var queries = new List<int>();
            foreach (var (name, length) in new[] { ("short", 10), ("long", 50) })
            {
                var start = ChainJob(name, direction == ProvenanceDirection.Forward ? 0 : length - 1);
                Database.Counter.Reset();
                var document = await Database.Service.QueryAsync(Alice, Query([start], depth, direction));
                queries.Add(Database.Counter.Count);
                // DEPTH=15 from a job: the jobs at distance 0, 2, ... 14.
                Assert.Equal(depth is null ? length : 8, document.Records.Count(r => r.Kind == ProvKind.Activity));
            }

            output.WriteLine($"chain, {direction} DEPTH={depth?.ToString() ?? "ALL"}: {queries[0]} queries for 10 jobs, {queries[1]} for 50");
            Assert.True(queries[0] == queries[1] && queries[1] <= 8,
                $"{direction} DEPTH={depth?.ToString() ?? "ALL"}: {queries[0]} queries for 10 jobs, {queries[1]} for 50:\n{string.Join("\n", Database.Counter.Commands)}");
        }

        // The walk it replaced: several queries per job.
        Database.Counter.Reset();
        var graph = new OneAtATimeGraph(Database.Graph(null));
        var selection = await ReferenceTraversal.RunAsync(graph, [new JobNode(ChainJob("long", 49))], null, ProvenanceDirection.Back, Alice.MayRead, default);
        await ProvenanceBuilder.BuildAsync(graph, selection, Query(["long"], null, ProvenanceDirection.Back), Alice.MayRead, default);
        output.WriteLine($"chain of 50, BACK DEPTH=ALL, node by node: {Database.Counter.Count} queries");
        Assert.True(Database.Counter.Count >= 3 * 50, $"{Database.Counter.Count} queries node by node");
    }

    [Fact]
    public async Task A_wide_fan_out_is_read_in_the_same_few_queries_whatever_its_width()
    {
        await Database.AddAsync(FanOut("narrow", 4));
        await Database.AddAsync(FanOut("wide", 40));

        foreach (var (depth, direction, levelByLevel) in new (int?, ProvenanceDirection, bool)[]
                 {
                     (1, ProvenanceDirection.Forward, false), (null, ProvenanceDirection.Forward, false), (null, ProvenanceDirection.Both, false),
                     (1, ProvenanceDirection.Forward, true), (null, ProvenanceDirection.Forward, true), (null, ProvenanceDirection.Both, true),
                 })
        {
            var queries = new List<int>();
            foreach (var (name, width) in new[] { ("narrow", 4), ("wide", 40) })
            {
                var start = new ContentNode(Sha($"{name} input"));
                Database.Counter.Reset();
                // Without the recursive read-ahead too: the traversal's own batches are one per level.
                IProvenanceGraph graph = levelByLevel ? new LevelByLevelGraph(Database.Graph(Alice)) : Database.Graph(Alice);
                var selection = await ProvenanceTraversal.RunAsync(graph, [start], depth, direction, Alice.MayRead, default);
                var document = await ProvenanceBuilder.BuildAsync(graph, selection, Query([name], depth, direction), Alice.MayRead, default);
                queries.Add(Database.Counter.Count);
                Assert.Equal(width, document.Records.Count(r => r.Kind == ProvKind.Activity));
                Assert.Equal(width + 1, document.Records.Count(r => r.Kind == ProvKind.Entity && r.Attribute("voprov:sha256") is not null));
            }

            output.WriteLine($"fan-out, DEPTH={depth?.ToString() ?? "ALL"} {direction}{(levelByLevel ? " level by level" : "")}: {queries[0]} queries for 4 jobs, {queries[1]} for 40");
            Assert.True(queries[0] == queries[1] && queries[1] <= 8,
                $"DEPTH={depth?.ToString() ?? "ALL"} {direction}{(levelByLevel ? " level by level" : "")}: {queries[0]} queries for 4 jobs, {queries[1]} for 40:\n{string.Join("\n", Database.Counter.Commands)}");
        }

        // Every job of the fan-out as an ID of its own, through the service: the IDs are resolved at once too.
        var counts = new List<int>();
        foreach (var (name, width) in new[] { ("narrow", 4), ("wide", 40) })
        {
            Database.Counter.Reset();
            var document = await Database.Service.QueryAsync(Alice, Query(Enumerable.Range(0, width).Select(i => ChainJob(name, i)).ToList(), null, ProvenanceDirection.Both));
            counts.Add(Database.Counter.Count);
            Assert.Equal(width, document.Records.Count(r => r.Kind == ProvKind.Activity));
        }

        output.WriteLine($"fan-out, every job an ID, DEPTH=ALL Both: {counts[0]} queries for 4 jobs, {counts[1]} for 40");
        Assert.True(counts[0] == counts[1] && counts[1] <= 10, $"{counts[0]} queries for 4 IDs, {counts[1]} for 40:\n{string.Join("\n", Database.Counter.Commands)}");
    }

    [Fact]
    public async Task Level_by_level_the_queries_grow_with_the_levels_not_the_nodes()
    {
        // Two chains side by side, one started from each end of two IDs: the levels are shared, so the
        // queries are those of one chain; a chain twice as long takes about twice as many.
        await Database.AddAsync(Chain("left", 20));
        await Database.AddAsync(Chain("right", 20));
        await Database.AddAsync(Chain("alone", 40));

        async Task<int> CountAsync(int jobs, params string[] starts)
        {
            var graph = new LevelByLevelGraph(Database.Graph(Alice));
            Database.Counter.Reset();
            var selection = await ProvenanceTraversal.RunAsync(graph, starts.Select(s => (ProvNode)new JobNode(s)).ToList(), null, ProvenanceDirection.Back, Alice.MayRead, default);
            await ProvenanceBuilder.BuildAsync(graph, selection, Query(starts, null, ProvenanceDirection.Back), Alice.MayRead, default);
            Assert.Equal(jobs, selection.Jobs.Count());
            return Database.Counter.Count;
        }

        var one = await CountAsync(20, ChainJob("left", 19));
        var two = await CountAsync(40, ChainJob("left", 19), ChainJob("right", 19));
        var twiceAsLong = await CountAsync(40, ChainJob("alone", 39));
        output.WriteLine($"level by level, BACK DEPTH=ALL: {one} queries for a chain of 20, {two} for two of 20, {twiceAsLong} for one of 40");
        Assert.Equal(one, two);
        // 40 levels (job, content, job...) for 20 jobs: at most 2 queries a level.
        Assert.InRange(one, 20, 2 * 40);
        Assert.InRange(twiceAsLong, 2 * one - 4, 2 * one + 4);
    }

    [Fact]
    public async Task The_read_ahead_stops_where_the_walk_stops_at_a_job_the_caller_may_not_read()
    {
        // Alice's chain, except job 10, which is bob's.
        await Database.AddAsync(Chain("mixed", 20, i => i == 10 ? "bob" : "alice"));
        string Job(int i) => ProvNames.JobId("step", ChainJob("mixed", i));

        Database.Counter.Reset();
        var alices = await Database.Service.QueryAsync(Alice, Query([ChainJob("mixed", 19)], null, ProvenanceDirection.Back));
        // Read ahead: alice's jobs and who generated what they used (bob's job 10, whose owner stops the walk); nothing before.
        Assert.Contains(Database.Counter.Commands, c => c.Contains(ChainJob("mixed", 10), StringComparison.Ordinal));
        Assert.DoesNotContain(Database.Counter.Commands, c => c.Contains(ChainJob("mixed", 9), StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(11, 9).Select(Job), alices.Records.Where(r => r.Kind == ProvKind.Activity).Select(r => r.Id));
        // Bob's output is there (job 11 used it) without its generation; nothing of job 10 or before.
        Assert.Null(alices.Find(ProvNames.ContentId(Sha("mixed 10")))!.Attribute("voprov:generatedAtTime"));
        Assert.Null(alices.Find(ProvNames.ContentId(Sha("mixed 9"))));
        Assert.DoesNotContain("bob", ProvJsonWriter.WriteString(alices));

        var forward = await Database.Service.QueryAsync(Alice, Query([ChainJob("mixed", 0)], null, ProvenanceDirection.Forward));
        Assert.Equal(Enumerable.Range(0, 10).Select(Job), forward.Records.Where(r => r.Kind == ProvKind.Activity).Select(r => r.Id));
        var bobs = await Database.Service.QueryAsync(Bob, Query([ChainJob("mixed", 10)], null, ProvenanceDirection.Both));
        Assert.Equal([Job(10)], bobs.Records.Where(r => r.Kind == ProvKind.Activity).Select(r => r.Id));
        var admins = await Database.Service.QueryAsync(Admin, Query([ChainJob("mixed", 19)], null, ProvenanceDirection.Back));
        Assert.Equal(20, admins.Records.Count(r => r.Kind == ProvKind.Activity));
        ProvInvariants.AssertValid(ProvJsonWriter.WriteString(alices));
    }

    [Fact]
    public async Task The_batched_walk_selects_and_documents_exactly_what_the_node_by_node_walk_did()
    {
        var compared = 0;
        for (var seed = 1; seed <= RandomGraphs; seed++)
        {
            var rows = Random(seed, 40);
            await Database.AddAsync(rows);
            var random = new Random(seed);
            foreach (var caller in new[] { Admin, Alice, Bob, Anonymous })
            {
                var candidates = Starts(rows, caller);
                for (var pick = 0; pick < 4; pick++)
                {
                    var starts = Enumerable.Range(0, 1 + random.Next(2)).Select(_ => candidates[random.Next(candidates.Count)]).Distinct().ToList();
                    foreach (var direction in new[] { ProvenanceDirection.Back, ProvenanceDirection.Forward, ProvenanceDirection.Both })
                    {
                        foreach (var depth in new int?[] { 0, 1, 2, 3, 5, null })
                        {
                            await CompareAsync(caller, starts, depth, direction, random.Next(3));
                            compared++;
                        }
                    }
                }
            }
        }

        Assert.Equal(RandomGraphs * 4 * 4 * 3 * 6, compared);
    }

    private async Task CompareAsync(Caller caller, IReadOnlyList<ProvNode> starts, int? depth, ProvenanceDirection direction, int descriptions)
    {
        var query = Query(["random"], depth, direction) with { Descriptions = descriptions };
        var what = $"{caller.UserName} from {string.Join(", ", starts)} DEPTH={depth?.ToString() ?? "ALL"} {direction}";

        var reference = new OneAtATimeGraph(Database.Graph(null));
        var expected = await ReferenceTraversal.RunAsync(reference, starts, depth, direction, caller.MayRead, default);
        var expectedJson = ProvJsonWriter.WriteString(await ProvenanceBuilder.BuildAsync(reference, expected, query, caller.MayRead, default));

        foreach (var (name, graph) in new (string, IProvenanceGraph)[] { ("batched", Database.Graph(caller)), ("level by level", new LevelByLevelGraph(Database.Graph(null))) })
        {
            var selection = await ProvenanceTraversal.RunAsync(graph, starts, depth, direction, caller.MayRead, default);
            // The same nodes at the same distances, selected in the same order (the document's order follows it).
            Assert.True(expected.Distances.SequenceEqual(selection.Distances),
                $"{name}, {what}:\nexpected {string.Join(" ", expected.Distances)}\nactual   {string.Join(" ", selection.Distances)}");
            var json = ProvJsonWriter.WriteString(await ProvenanceBuilder.BuildAsync(graph, selection, query, caller.MayRead, default));
            Assert.True(expectedJson == json, $"{name}, {what}: documents differ\n{expectedJson}\n{json}");
        }
    }

    /// <summary>Start points a caller may give: their jobs, any content, their jobs' re-generated results, values and URLs.</summary>
    private static List<ProvNode> Starts(ProvenanceRows rows, Caller caller)
    {
        var readable = rows.Activities.Where(a => caller.MayRead(a.Owner)).Select(a => a.JobId).ToHashSet(StringComparer.Ordinal);
        var starts = new List<ProvNode>();
        starts.AddRange(readable.Order(StringComparer.Ordinal).Select(id => new JobNode(id)));
        starts.AddRange(rows.Links.Where(l => l.Sha256 is not null).Select(l => l.Sha256!).Distinct().Order(StringComparer.Ordinal).Select(sha => new ContentNode(sha)));
        starts.AddRange(rows.Links.Where(l => readable.Contains(l.JobId) && l.EntityKind != ProvEntityKind.Content).Select(l => new JobEntityNode(l.JobId, l.Key!)));
        return starts;
    }

    private static ProvenanceQuery Query(IReadOnlyList<string> ids, int? depth, ProvenanceDirection direction) => new()
    {
        Ids = ids,
        Depth = depth,
        Direction = direction,
        Descriptions = 1,
        Format = ProvenanceFormat.ProvJson,
        BaseUrl = "https://opus.example.org",
    };
}

/// <summary>On SQLite, as the server runs by default.</summary>
public sealed class SqliteProvenanceTraversalTests(ITestOutputHelper output) : ProvenanceTraversalDatabaseTests(output)
{
    protected override Task<ProvenanceDatabase> CreateDatabaseAsync() => ProvenanceDatabase.CreateAsync();
}
