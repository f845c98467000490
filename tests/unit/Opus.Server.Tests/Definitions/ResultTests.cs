using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// Generated entities: a glob yields one result per file (name_1, name_2, ...); the content type is
/// the definition's, else guessed from the file's extension; every result is registered in the store.
/// </summary>
public sealed class ResultTests(InputServerFixture fixture) : IClassFixture<InputServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task A_glob_with_several_matches_gives_numbered_results_and_types_come_from_the_definition_or_the_extension()
    {
        var job = await Client.CreateJobAsync("fanout", ("count", "3"));
        var results = (await Client.RunToCompletionAsync(job)).Results();

        // part_*.dat: three files, in name order; each part_i.dat holds 100 * i times the digit i.
        // Every job also has its provenance among its results; the rest is what the definition generates.
        Assert.Equal(["notes", "part_1", "part_2", "part_3", "raw", "single", "summary"],
            results.Keys.Where(id => !id.StartsWith("prov", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        for (var i = 1; i <= 3; i++)
        {
            var expected = Encoding.ASCII.GetBytes(new string((char)('0' + i), 100 * i));
            var result = results[$"part_{i}"];
            Assert.Equal($"part_{i}.dat", (string?)result.Attribute(Custom + "fileName"));
            Assert.Equal(expected.Length.ToString(CultureInfo.InvariantCulture), (string?)result.Attribute("size"));
            // .dat is no known extension.
            Assert.Equal("application/octet-stream", (string?)result.Attribute("mime-type"));
            await AssertServedAsync(job, result, expected);
        }

        // Guessed from the extension: .json, .csv; unknown: application/octet-stream. The definition's type wins over .txt.
        Assert.Equal("application/json", (string?)results["summary"].Attribute("mime-type"));
        Assert.Equal("text/csv", (string?)results["single"].Attribute("mime-type"));
        Assert.Equal("application/octet-stream", (string?)results["raw"].Attribute("mime-type"));
        Assert.Equal("text/x-opus-notes", (string?)results["notes"].Attribute("mime-type"));
        await AssertServedAsync(job, results["summary"], Encoding.ASCII.GetBytes("{\"count\": 3}"));
        await AssertServedAsync(job, results["notes"], Encoding.ASCII.GetBytes("some notes\n"));
        await AssertServedAsync(job, results["raw"], Encoding.ASCII.GetBytes("raw"));
        // A glob with one match keeps the plain name; one with none gives no result.
        Assert.Equal("only_one.csv", (string?)results["single"].Attribute(Custom + "fileName"));
        await AssertServedAsync(job, results["single"], Encoding.ASCII.GetBytes("a,b\n1,2\n"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task A_glob_with_one_match_keeps_the_name_and_with_none_gives_no_result(int count)
    {
        var job = await Client.CreateJobAsync("fanout", ("count", count.ToString(CultureInfo.InvariantCulture)));
        var results = (await Client.RunToCompletionAsync(job)).Results();

        Assert.DoesNotContain("absent", results.Keys);
        Assert.DoesNotContain(results.Keys, k => k.StartsWith("part_", StringComparison.Ordinal));
        if (count == 1)
            await AssertServedAsync(job, results["part"], Encoding.ASCII.GetBytes(new string('1', 100)));
        else
            Assert.DoesNotContain("part", results.Keys);
    }

    /// <summary>The result resource and the store serve the bytes, with the result's type; its digest is the content's.</summary>
    private async Task AssertServedAsync(string job, XElement result, byte[] expected)
    {
        var id = (string)result.Attribute("id")!;
        var type = (string)result.Attribute("mime-type")!;
        var sha = Sha256Hex(expected);
        Assert.Equal(sha, (string?)result.Attribute(Custom + "sha256"));
        Assert.Equal(expected.Length.ToString(CultureInfo.InvariantCulture), (string?)result.Attribute("size"));
        Assert.Equal(expected, await Client.GetBytesAsync($"{job}/results/{id}", type));
        Assert.Equal(expected, await Client.GetBytesAsync($"/store/?ID={sha}", type));
    }
}
