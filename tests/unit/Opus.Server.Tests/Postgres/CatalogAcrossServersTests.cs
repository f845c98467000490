using System.Diagnostics;
using System.Net;
using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Postgres;

/// <summary>
/// A definition published or withdrawn through one server process is taken up by the other at once
/// (PostgreSQL NOTIFY), not at its next sweep: the sweep here is ten minutes away.
/// </summary>
public sealed class CatalogAcrossServersTests : IAsyncLifetime
{
    // "At once" against the ten minutes to the next sweep: generous for a loaded machine, and still far below them.
    private static readonly TimeSpan Bound = Eventually.Bound;

    private OpusServer _first = null!;
    private OpusServer _second = null!;
    private string _connection = null!;

    public async Task InitializeAsync()
    {
        _connection = await TestPostgres.CreateDatabaseAsync("opus_catalog");
        var data = Directory.CreateTempSubdirectory("opus-catalog-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Opus:Storage:Provider"] = "Postgres",
            ["Opus:Storage:ConnectionString"] = _connection,
            ["Opus:SweepInterval"] = "00:10:00",
        };
        _first = await OpusServer.StartAsync(settings, data);
        _second = await OpusServer.StartAsync(settings, data);
    }

    public async Task DisposeAsync()
    {
        if (_second is not null)
            await _second.DisposeAsync();
        if (_first is not null)
            await _first.DisposeAsync();
        if (_connection is not null)
            await TestPostgres.DropDatabaseAsync(_connection);
    }

    /// <summary>The status of creating a job of <paramref name="name"/> on the first server, once it is <paramref name="wanted"/> or the bound passed.</summary>
    private async Task<(HttpStatusCode Status, TimeSpan After)> CreateOnFirstUntilAsync(string name, HttpStatusCode wanted)
    {
        using var client = _first.AdminClient();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.PostAsync($"/rest/{name}", new FormUrlEncodedContent([new("text", "hi")]));
            if (response.StatusCode == wanted || clock.Elapsed > Bound)
                return (response.StatusCode, clock.Elapsed);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_definition_published_or_withdrawn_on_one_server_is_known_to_the_other_at_once()
    {
        var name = $"shared{Guid.NewGuid():N}"[..14];
        var definition = $$"""
            {"name": "{{name}}", "version": "1",
             "parameters": [{"name": "text", "type": "xs:string", "required": true}],
             "generated": [{"name": "output", "file": "output.txt", "contentType": "text/plain"}],
             "script": "printf '%s' \"$text\" > output.txt"}
            """;
        using var second = _second.AdminClient();
        using (var content = new StringContent(definition, Encoding.UTF8, "application/json"))
        using (var created = await second.PostAsync("/jdl?publish=true", content))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var (status, after) = await CreateOnFirstUntilAsync(name, HttpStatusCode.SeeOther);
        Assert.True(status == HttpStatusCode.SeeOther, $"the other server still refuses the new definition after {after.TotalSeconds:0.0} s: {(int)status}");

        using (var withdrawn = await second.DeleteAsync($"/jdl/{name}"))
            Assert.True(withdrawn.IsSuccessStatusCode, $"DELETE /jdl/{name}: {(int)withdrawn.StatusCode}");
        (status, after) = await CreateOnFirstUntilAsync(name, HttpStatusCode.NotFound);
        Assert.True(status == HttpStatusCode.NotFound, $"the other server still takes jobs of the withdrawn definition after {after.TotalSeconds:0.0} s: {(int)status}");
    }
}
