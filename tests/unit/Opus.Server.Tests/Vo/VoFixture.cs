using Opus.Server.Tests.Auth;
using Opus.Server.Tests.Infrastructure;
using Opus.Server.Tests.Uws;

namespace Opus.Server.Tests.Vo;

/// <summary>
/// A server without anonymous access, with one CORS origin (a portal on another loopback port), signed links of at
/// most two days, and two users of the copy job list: the owner of a completed copy job, and another user.
/// </summary>
public sealed class VoFixture : IAsyncLifetime
{
    public const int MaxLinkSeconds = 2 * 24 * 3600;

    public OpusServer Server { get; private set; } = null!;

    public string PortalOrigin { get; } = $"http://127.0.0.1:{OpusServer.FreePort()}";

    public IssuedToken Owner { get; private set; } = null!;

    public IssuedToken Other { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(AuthSteps.Settings(
            ("Opus:Cors:Origins:0", PortalOrigin),
            ("Opus:ResultLinks:MaxSeconds", MaxLinkSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Opus:Auth:MaxFailures", "1000000")));
        var owner = AuthSteps.UniqueName("owner");
        var other = AuthSteps.UniqueName("other");
        await Server.CreateUserAsync(owner, "copy");
        await Server.CreateUserAsync(other, "copy");
        Owner = await Server.IssueTokenAsync(owner);
        Other = await Server.IssueTokenAsync(other);
    }

    /// <summary>A COMPLETED copy job of the owner and the path of its first result.</summary>
    public async Task<(string Job, string Result)> CompletedJobAsync(string text)
    {
        using var client = Server.ClientFor(Owner);
        var job = await client.CreateCompletedCopyJobAsync(text);
        var results = await client.GetXmlAsync($"{job}/results");
        var id = results.Root!.Elements(UwsSchema.Uws + "result").First().Attribute("id")!.Value;
        return (job, $"{job}/results/{id}");
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
