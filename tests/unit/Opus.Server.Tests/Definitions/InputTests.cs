using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Opus.Server.Tests.Infrastructure;
using static Opus.Server.Tests.Definitions.DefinitionTestHelpers;
using static Opus.Server.Tests.Uws.UwsTestHelpers;

namespace Opus.Server.Tests.Definitions;

/// <summary>
/// Used entities: uploads, URLs and identifiers (fetched from a local file server), several files for
/// one input, stored content named by its digest; each becomes a file of the job and an entity of the
/// store. A job whose inputs cannot be resolved is never created.
/// </summary>
public sealed class InputTests(InputServerFixture fixture) : IClassFixture<InputServerFixture>
{
    private HttpClient Client => fixture.Server.Client;

    private LocalFileServer Files => fixture.Files;

    [Fact]
    public async Task An_upload_is_read_by_the_script_and_kept_in_the_store_by_its_digest()
    {
        var content = RandomBytes(3000);
        var sha = Sha256Hex(content);
        var hits = Files.TotalHits;

        using var response = await Client.PostMultipartAsync("/rest/readin", [], ("data", "my input.bin", content));
        var job = await CreatedJobAsync(response);
        var done = await Client.RunToCompletionAsync(job);

        // The script read exactly the uploaded bytes, from a file with a safe name.
        Assert.Equal(content, await Client.GetBytesAsync($"{job}/results/copy", "application/octet-stream"));
        Assert.Equal(sha, (await Client.GetStringAsync($"{job}/results/digest")).Trim());
        Assert.Equal("my_input.bin", (await Client.GetStringAsync($"{job}/results/filename")).Trim());
        // A copy in the job's directory, inputs/NAME/FILE; the store keeps its own.
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(fixture.Server.DataPath, "jobs", JobIdOf(job), "inputs", "data", "my_input.bin")));

        // The job shows the input by reference: the store URL of its digest, which serves the same bytes.
        var parameter = Assert.Single(Parameters(done), p => (string?)p.Attribute("id") == "data");
        Assert.Equal("true", (string?)parameter.Attribute("byReference"));
        var reference = new Uri(parameter.Value.Trim());
        Assert.Equal(new Uri(fixture.Server.BaseUri, $"/store/?ID={sha}"), reference);
        Assert.Equal(content, await Client.GetBytesAsync(reference.PathAndQuery));
        Assert.Equal(content, await Client.GetBytesAsync($"/store/{sha}"));
        Assert.Equal(content, await Client.GetBytesAsync($"{job}/parameters/data"));
        Assert.Equal(hits, Files.TotalHits);
    }

    [Fact]
    public async Task Several_files_for_one_input_come_as_repeated_uploads_a_list_of_URLs_or_of_identifiers()
    {
        var first = RandomBytes(700);
        var second = RandomBytes(900);

        using (var response = await Client.PostMultipartAsync("/rest/gather", [], ("parts", "a.txt", first), ("parts", "b.txt", second)))
        {
            var job = await CreatedJobAsync(response);
            var done = await Client.RunToCompletionAsync(job);
            Assert.Equal(first.Concat(second).ToArray(), await Client.GetBytesAsync($"{job}/results/joined"));
            // Several files of one input are numbered in the order given.
            Assert.Equal("1_a.txt\n2_b.txt\n", await Client.GetStringAsync($"{job}/results/list"));
            AssertFileInputs(done, "parts", first, second);
        }

        var third = RandomBytes(500);
        var fourth = RandomBytes(600);
        var thirdUrl = Files.Put("third.bin", third);
        var fourthUrl = Files.Put("fourth.bin", fourth);
        foreach (var value in new[] { $"{thirdUrl},{fourthUrl}", $"{thirdUrl} , {fourthUrl}", "third.bin fourth.bin" })
        {
            var job = await Client.CreateJobAsync("gather", ("parts", value));
            var done = await Client.RunToCompletionAsync(job);
            Assert.Equal(third.Concat(fourth).ToArray(), await Client.GetBytesAsync($"{job}/results/joined"));
            Assert.Equal("1_third.bin\n2_fourth.bin\n", await Client.GetStringAsync($"{job}/results/list"));
            AssertFileInputs(done, "parts", third, fourth);
        }

        Assert.Equal(3, Files.Hits("/files/third.bin"));
        Assert.Equal(3, Files.Hits("/files/fourth.bin"));
    }

    [Fact]
    public async Task An_identifier_is_resolved_through_the_URL_template_and_downloaded_by_the_server()
    {
        var content = RandomBytes(2048);
        Files.Put("obs-42", content);

        var job = await Client.CreateJobAsync("readin", ("data", "obs-42"));

        // Fetched once, at creation: the job holds the content before it runs.
        Assert.Equal(1, Files.Hits("/files/obs-42"));
        var done = await Client.RunToCompletionAsync(job);
        Assert.Equal(content, await Client.GetBytesAsync($"{job}/results/copy"));
        Assert.Equal("obs-42", (await Client.GetStringAsync($"{job}/results/filename")).Trim());
        AssertFileInputs(done, "data", content);
        Assert.Equal(content, await Client.GetBytesAsync($"/store/{Sha256Hex(content)}"));
        Assert.Equal(1, Files.Hits("/files/obs-42"));
    }

    [Fact]
    public async Task A_value_naming_stored_content_by_its_digest_reuses_it_without_a_download()
    {
        var content = RandomBytes(1500);
        var sha = Sha256Hex(content);
        Files.Put("reuse.bin", content);
        await Client.RunToCompletionAsync(await Client.CreateJobAsync("readin", ("data", "reuse.bin")));
        Assert.Equal(1, Files.Hits("/files/reuse.bin"));

        foreach (var value in new[] { sha, sha.ToUpperInvariant(), $"opus_store:{sha}", $"{fixture.Server.BaseUri}store/?ID={sha}" })
        {
            var job = await Client.CreateJobAsync("readin", ("data", value));
            var done = await Client.RunToCompletionAsync(job);
            Assert.Equal(content, await Client.GetBytesAsync($"{job}/results/copy"));
            AssertFileInputs(done, "data", content);
        }

        Assert.Equal(1, Files.Hits("/files/reuse.bin"));
    }

    public static TheoryData<string, string[]> FailingDownloads() => new()
    {
        { "{files}/missing", ["404"] },
        { "missing-identifier", ["404", "missing-identifier"] },
        { $"{{files}}/big?size={InputServerFixture.MaxBytes + 1}", ["larger than the limit", InputServerFixture.MaxBytes.ToString(CultureInfo.InvariantCulture)] },
        { $"{{files}}/chunked?size={InputServerFixture.MaxBytes + 1}", ["larger than the limit"] },
        { $"{{files}}/slow-headers?seconds={InputServerFixture.StallSeconds}", [$"did not answer within {InputServerFixture.TimeoutSeconds} s"] },
        { $"{{files}}/slow-body?seconds={InputServerFixture.StallSeconds}", [$"did not answer within {InputServerFixture.TimeoutSeconds} s"] },
        // Not an http(s) URL: an identifier like any other, escaped into the template (never fetched by ftp).
        { "ftp://127.0.0.1/file", ["404"] },
    };

    [Theory]
    [MemberData(nameof(FailingDownloads))]
    public async Task A_download_that_fails_is_a_400_naming_the_input_and_leaves_no_job(string value, string[] mentions)
    {
        value = value.Replace("{files}", Files.BaseUrl, StringComparison.Ordinal);
        var jobs = await Client.JobIdsAsync("readin");
        var clock = Stopwatch.StartNew();

        using var response = await Client.PostFormAsync("/rest/readin", ("data", value), ("PHASE", "RUN"));

        await AssertRefusedAsync(response, HttpStatusCode.BadRequest, ["input 'data'", .. mentions]);
        // A slow server is given up on at the time limit, not when it answers (a minute later); the margin is a loaded machine's.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(InputServerFixture.StallSeconds - 30), $"took {clock.Elapsed}");
        Assert.Equal(jobs, await Client.JobIdsAsync("readin"));
    }

    [Fact]
    public async Task Inputs_given_wrongly_are_400s_and_leave_no_job()
    {
        var small = RandomBytes(100);
        var tooLarge = RandomBytes(InputServerFixture.MaxBytes + 1);
        var cases = new (string Case, Func<Task<HttpResponseMessage>> Send, string[] Mentions)[]
        {
            // One value for an input of multiplicity 1: given twice, in any combination.
            ("two values", () => Client.PostFormAsync("/rest/readin", ("data", "a"), ("data", "b")), ["data", "one value"]),
            ("a value and an upload", () => Client.PostMultipartAsync("/rest/readin", [("data", "a")], ("data", "x.bin", small)), ["data", "one value"]),
            ("two uploads", () => Client.PostMultipartAsync("/rest/readin", [], ("data", "x.bin", small), ("data", "y.bin", small)), ["data", "one value"]),
            ("an upload beyond the limit", () => Client.PostMultipartAsync("/rest/readin", [], ("data", "big.bin", tooLarge)), ["data", "larger than the limit"]),
            ("an unknown digest", () => Client.PostFormAsync("/rest/readin", ("data", new string('0', 64))), ["data", "no stored entity"]),
            ("an upload for no input", () => Client.PostMultipartAsync("/rest/readin", [], ("other", "x.bin", small)), ["other"]),
            ("no input", () => Client.PostFormAsync("/rest/readin", ("RUNID", "no input")), ["data", "required"]),
            ("no files", () => Client.PostFormAsync("/rest/gather"), ["parts", "required"]),
        };

        var readin = await Client.JobIdsAsync("readin");
        var gather = await Client.JobIdsAsync("gather");
        foreach (var (name, send, mentions) in cases)
        {
            using var response = await send();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, mentions);
        }

        Assert.Equal(readin, await Client.JobIdsAsync("readin"));
        Assert.Equal(gather, await Client.JobIdsAsync("gather"));
        // The refused upload was not kept either.
        using var stored = await Client.GetAsync($"/store/{Sha256Hex(tooLarge)}");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    private static List<XElement> Parameters(XDocument job) => job.Child("parameters").Elements(U("parameter")).ToList();

    /// <summary>Asserts the job lists the input's files by reference, in order, as store URLs of their digests.</summary>
    private void AssertFileInputs(XDocument job, string name, params byte[][] contents)
    {
        var parameters = Parameters(job).Where(p => (string?)p.Attribute("id") == name).ToList();
        Assert.All(parameters, p => Assert.Equal("true", (string?)p.Attribute("byReference")));
        Assert.Equal(
            contents.Select(c => new Uri(fixture.Server.BaseUri, $"/store/?ID={Sha256Hex(c)}").ToString()),
            parameters.Select(p => p.Value.Trim()));
    }
}

/// <summary>By default the server does not fetch from loopback or private addresses: no request forgery into the local network.</summary>
public sealed class PrivateAddressInputTests(NoPrivateAddressesFixture fixture) : IClassFixture<NoPrivateAddressesFixture>
{
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task URLs_and_identifiers_on_a_private_address_are_refused_without_a_request()
    {
        var content = RandomBytes(100);
        var url = fixture.Files.Put("secret.bin", content);
        var values = new[] { url, "secret.bin", url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), $"http://[::1]:{new Uri(url).Port}/files/secret.bin" };

        foreach (var value in values)
        {
            using var response = await Client.PostFormAsync("/rest/readin", ("data", value));
            await AssertRefusedAsync(response, HttpStatusCode.BadRequest, "input 'data'", "private or local address");
        }

        Assert.Equal(0, fixture.Files.TotalHits);
        Assert.Empty(await Client.JobIdsAsync("readin"));

        // Uploads need no download and still work.
        using var upload = await Client.PostMultipartAsync("/rest/readin", [], ("data", "local.bin", content));
        var job = await CreatedJobAsync(upload);
        await Client.RunToCompletionAsync(job);
        Assert.Equal(content, await Client.GetBytesAsync($"{job}/results/copy"));
    }
}
