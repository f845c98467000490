using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// Measures (does not assert) how fast the job list shows when the server holds 10,000 jobs: OPUS's
/// client needed about 92 s. Pages of 50 and of 1,000 (the largest page GET /jobs answers): opened,
/// reloaded, and replaced by the next page a few times (a page of 1,000 rows in place of another).
/// The figures go to the test output and to screenshots/list-10k.txt.
/// </summary>
public sealed class ListRenderMeasurement(ITestOutputHelper output) : IAsyncLifetime
{
    private const int JobCount = 10_000;
    private const int NextPages = 3;
    private OpusServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await BrowserFixture.StartServerAsync();
        (_playwright, _browser) = await BrowserFixture.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Ten_thousand_jobs_first_page_render_time()
    {
        // One job over HTTP (for its definition version), the rest straight into the database while the server is stopped.
        await _server.AdminClient().CreateJobAsync("copy", ("text", "first"));
        await _server.KillAsync();
        var fill = Stopwatch.StartNew();
        Fill(Path.Combine(_server.DataPath, "opus.db"), JobCount - 1);
        fill.Stop();
        await _server.RestartAsync();

        await using var session = await ClientSession.OpenAsync(_browser, _server);
        var page = session.Page;
        await session.SignInAsync();
        var lines = new List<string> { $"{JobCount:N0} jobs ({fill.Elapsed.TotalSeconds:0.0} s to insert {JobCount - 1:N0} rows while the server was stopped)" };

        foreach (var size in new[] { 50, 1000 })
        {
            // The list page opened from another page of the client (modules loaded, signed in).
            var clock = Stopwatch.StartNew();
            await page.GotoAsync($"/client/#/jobs?size={size}");
            await Expect(page.Locator("tbody tr")).ToHaveCountAsync(size, new() { Timeout = 60_000 });
            clock.Stop();
            lines.Add(await FigureAsync(page, $"page of {size}, opened", clock));
            await Expect(page.GetByTestId("count-ALL")).ToHaveTextAsync(JobCount.ToString(CultureInfo.InvariantCulture));

            // A full reload: the client's files, the sign-in check, the definitions, the page.
            clock.Restart();
            await page.ReloadAsync();
            await Expect(page.Locator("tbody tr")).ToHaveCountAsync(size, new() { Timeout = 60_000 });
            clock.Stop();
            lines.Add(await FigureAsync(page, $"page of {size}, full reload", clock));

            // The next page, from a click: the rows of the page shown are replaced by as many others.
            // (The button is looked up in the pager: a role query over the whole page would also
            // weigh the 3,000 buttons of 1,000 rows, Playwright's time rather than the page's.)
            var next = page.Locator(".pager").GetByRole(AriaRole.Button, new() { Name = "Next page" });
            for (var n = 2; n <= NextPages + 1; n++)
            {
                clock.Restart();
                await next.ClickAsync();
                await Expect(page.GetByTestId("page-info")).ToContainTextAsync($"page {n} of");
                clock.Stop();
                lines.Add(await FigureAsync(page, $"page of {size}, next page (to page {n}, {size} rows in place of {size})", clock));
            }

            if (size == 50)
                await session.ScreenshotAsync("14-job-list-10k");
        }

        lines.Add($"all {JobCount:N0} at once: not offered; GET /jobs answers at most 1,000 jobs a page (JobBrowser.MaxLimit), the client's largest page size");

        foreach (var line in lines)
            output.WriteLine(line);
        await File.WriteAllLinesAsync(Path.Combine(BrowserFixture.ScreenshotFolder, "list-10k.txt"), lines);
        session.AssertNoErrors();
    }

    /// <summary>The wall-clock figure seen by the test, and the client's own: GET /jobs, building the rows, then the frame that shows them.</summary>
    private static async Task<string> FigureAsync(IPage page, string what, Stopwatch clock)
    {
        // The client measures until the frame that shows the rows is done (style, layout, paint), for the page it shows now.
        await page.WaitForFunctionAsync(
            "() => { const m = window.opusMetrics, t = document.querySelector('[data-testid=job-table]'); return m && t && t.dataset.renderMs && m.rows === t.tBodies[0].rows.length && location.hash === m.hash; }");
        var metrics = await page.EvaluateAsync<JsonElement>("window.opusMetrics");
        return string.Create(CultureInfo.InvariantCulture,
            $"{what}: {clock.Elapsed.TotalMilliseconds:0} ms until the rows were visible to the test; in the page: GET /jobs {metrics.GetProperty("listFetchMs").GetDouble():0} ms, rows built {metrics.GetProperty("listBuildMs").GetDouble():0} ms, shown (style, layout, paint of the frame) {metrics.GetProperty("listRenderMs").GetDouble():0} ms after the answer");
    }

    /// <summary>COMPLETED copy jobs of the admin, one a second back from the existing one, in one transaction (rows as the server writes them).</summary>
    private static void Fill(string database, int count)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        long oldest;
        string version;
        using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT MIN(CreationTime), MAX(DefinitionVersion) FROM jobs WHERE Definition = 'copy'";
            using var reader = query.ExecuteReader();
            reader.Read();
            oldest = reader.GetInt64(0);
            version = reader.GetString(1);
        }

        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText =
            """
            INSERT INTO jobs (Id, Definition, DefinitionVersion, RunId, Owner, Phase, CreationTime, StartTime, EndTime,
                              ExecutionDuration, Destruction, Quote, ErrorMessage, ErrorType, Parameters, Results, Inputs, Manager, ManagerJobId, CallbackTokenHash)
            VALUES ($id, 'copy', $version, $run, 'admin', 'COMPLETED', $created, $created, $created, 60, $destruction, NULL, NULL, NULL, $parameters, '[]', '[]', 'local', NULL, NULL)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        insert.Parameters.AddWithValue("$version", version);
        var run = insert.Parameters.Add("$run", SqliteType.Text);
        var created = insert.Parameters.Add("$created", SqliteType.Integer);
        insert.Parameters.AddWithValue("$destruction", DateTime.UtcNow.AddDays(7).Ticks);
        var parameters = insert.Parameters.Add("$parameters", SqliteType.Text);
        insert.Prepare();
        for (var i = 1; i <= count; i++)
        {
            id.Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(13));
            run.Value = $"filled-{i}";
            created.Value = oldest - i * TimeSpan.TicksPerSecond;
            parameters.Value = JsonSerializer.Serialize(new[] { new { name = "text", value = $"filled {i}", byReference = false } });
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
