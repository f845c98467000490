using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Vo;

/// <summary>A CORS or result-link setting the server cannot use stops it with one line naming the key.</summary>
public sealed class VoConfigurationTests
{
    [Theory]
    [InlineData("Opus:Cors:Origins:0", "https://*.example.org", "opus: Opus:Cors:Origins: 'https://*.example.org' is not an origin")]
    [InlineData("Opus:Cors:Origins:0", "https://portal.example.org/path", "opus: Opus:Cors:Origins: 'https://portal.example.org/path' is not an origin")]
    [InlineData("Opus:ResultLinks:MaxSeconds", "3600", "opus: Opus:ResultLinks:DefaultSeconds: 86400 is not between 1 and Opus:ResultLinks:MaxSeconds (3600)")]
    public async Task An_unusable_value_stops_the_server_naming_its_key(string key, string value, string message)
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => OpusServer.StartAsync(new Dictionary<string, string> { [key] = value }));

        Assert.Contains("exited with 2", failure.Message);
        Assert.Contains(message, failure.Message);
    }
}
