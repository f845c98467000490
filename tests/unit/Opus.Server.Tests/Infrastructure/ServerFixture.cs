namespace Opus.Server.Tests.Infrastructure;

/// <summary>One server shared by the tests of a collection (starting one takes about a second).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:SweepInterval"] = "00:00:01",
            ["Opus:KillGraceSeconds"] = "1",
        });

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
