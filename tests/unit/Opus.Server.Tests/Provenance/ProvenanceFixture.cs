using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Provenance;

/// <summary>One server with the provenance definitions, shared by the tests of the collection.</summary>
public sealed class ProvenanceFixture : IAsyncLifetime
{
    private readonly string _definitions = ProvenanceSteps.WriteDefinitions();

    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ProvenanceSteps.StartServerAsync(_definitions);

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        Directory.Delete(_definitions, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ProvenanceCollection : ICollectionFixture<ProvenanceFixture>
{
    public const string Name = "provenance";
}
