using Opus.Core.Tests.Provenance;
using Xunit.Abstractions;

namespace Opus.Core.Tests.Postgres;

/// <summary>The batched provenance traversal on PostgreSQL: the same tests as on SQLite, each on a database of its own.</summary>
public sealed class PostgresProvenanceTraversalTests(ITestOutputHelper output) : ProvenanceTraversalDatabaseTests(output)
{
    /// <summary>One random graph: the reference walk sends a query per node, slower here than on SQLite.</summary>
    protected override int RandomGraphs => 1;

    protected override async Task<ProvenanceDatabase> CreateDatabaseAsync()
    {
        var postgres = new TestPostgres();
        return await ProvenanceDatabase.CreateAsync(await postgres.CreateDatabaseAsync("opus_prov"), postgres);
    }
}
