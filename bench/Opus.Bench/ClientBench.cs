using System.Text;
using Microsoft.Playwright;
using Opus.Core.Jobs;

namespace Opus.Bench;

/// <summary>
/// First paint of the web client's result views in headless Chromium (Debian's, or OPUS_CHROMIUM):
/// a 5 MB FITS image (1144 × 1144, BITPIX -32) and a plot of a 100,000-row CSV, each from the click on
/// Preview to the frame after the canvas is drawn (download, parse — the FITS file in a worker —,
/// zscale or table, drawing). The job page is reloaded before each run.
/// </summary>
public static class ClientBench
{
    private const int Runs = 5;
    private const string Definition = "bench-views";

    // Written by the job with python3's standard library, so the bench needs no numpy.
    private const string DefinitionYaml = """
        name: bench-views
        version: "1.0"
        description: A 5 MB FITS image and a 100,000-row CSV table, for the client bench.
        executionDuration: 600
        generated:
          - name: image
            file: image.fits
            contentType: application/fits
          - name: table
            file: table.csv
            contentType: text/csv
        script: |
          /usr/bin/python3 - <<'PY'
          import array, math
          n = 1144
          cards = [('SIMPLE', 'T'), ('BITPIX', '-32'), ('NAXIS', '2'), ('NAXIS1', str(n)), ('NAXIS2', str(n))]
          header = ''.join(f'{k:<8}= {v:>20}'.ljust(80) for k, v in cards) + 'END'.ljust(80)
          pixels = array.array('f', (100 + 50 * math.sin(i * 0.01) * math.cos(j * 0.013) + 5000 * math.exp(-((i - 600) ** 2 + (j - 500) ** 2) / 800)
                                     for j in range(n) for i in range(n)))
          pixels.byteswap()
          data = pixels.tobytes()
          with open('image.fits', 'wb') as f:
              f.write(header.ljust(2880 * ((len(header) + 2879) // 2880)).encode() + data + b'\0' * (-len(data) % 2880))
          with open('table.csv', 'w') as f:
              f.write('wavelength [Angstrom],flux [mJy]\n')
              for k in range(100000):
                  w = 4000 + k * 0.05
                  f.write(f'{w:.2f},{1 + math.sin(k / 500) + 3 * math.exp(-((w - 6563) / 4) ** 2):.5f}\n')
          PY
        """;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("OPUS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task RunAsync(string serverAssembly, Report report, CancellationToken cancellationToken)
    {
        if (!File.Exists(ChromiumPath))
        {
            report.Note($"Client views not measured: no Chromium at {ChromiumPath} (set OPUS_CHROMIUM).");
            return;
        }

        var data = Directory.CreateTempSubdirectory("opus-bench-client-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(serverAssembly, data, cancellationToken);
            using (var response = await server.Client.PutAsync($"/jdl/{Definition}?publish=true", new StringContent(DefinitionYaml, Encoding.UTF8, "application/yaml"), cancellationToken))
                response.EnsureSuccessStatusCode();
            Progress.Say("client: generating a 5 MB FITS image and a 100,000-row CSV");
            var id = await Uws.CreateAsync(server.Client, Definition, [], cancellationToken) ?? throw new InvalidOperationException("the bench job was not created");
            await Uws.RunAsync(server.Client, Definition, id, cancellationToken);
            var (job, _) = await Uws.WaitUntilFinalAsync(server.Client, Definition, id, JobPhase.QUEUED, TimeSpan.FromMinutes(10), cancellationToken);
            if (job.Phase != JobPhase.COMPLETED)
                throw new InvalidOperationException($"the bench job ended {job.Phase}");

            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumPath,
                Args = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
            });
            var context = await browser.NewContextAsync(new() { BaseURL = server.BaseUri.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
            context.SetDefaultTimeout(120_000);
            // Signed in as the client does it: the token in this tab's sessionStorage.
            await context.AddInitScriptAsync($"sessionStorage.setItem('opus.token', '{ServerProcess.AdminToken}')");
            var page = await context.NewPageAsync();

            foreach (var (result, selector, what) in new[]
            {
                ("image", "[data-testid='fits-image'][data-stretch]", "First paint of a 5 MB FITS image (1144 × 1144, BITPIX -32, zscale), click → drawn"),
                ("table", "[data-testid='plot'][data-points='100000']", "First paint of a 100,000-row CSV plot (uPlot), click → drawn"),
            })
            {
                Progress.Say($"client: {result} view, {Runs} runs");
                var times = new List<double>();
                for (var i = 0; i < Runs + 1; i++)
                {
                    // A real load each time (a goto to the same URL and hash would not reload the page).
                    await page.GotoAsync("about:blank");
                    await page.GotoAsync($"/client/#/job/{Definition}/{id}");
                    await page.Locator($"[data-result='{result}'] button").First.WaitForAsync();
                    var ms = await page.EvaluateAsync<double>("""
                        async ([result, selector]) => {
                          const card = document.querySelector(`[data-result="${result}"]`);
                          const start = performance.now();
                          card.querySelector('button').click();
                          const drawn = await new Promise(resolve => {
                            const check = () => card.querySelector(selector) ? requestAnimationFrame(() => setTimeout(() => resolve(true)))
                              : performance.now() - start > 300000 ? resolve(false) : requestAnimationFrame(check);
                            check();
                          });
                          return drawn ? performance.now() - start : -1;
                        }
                        """, new[] { result, selector });
                    if (ms < 0)
                        throw new InvalidOperationException($"the {result} view was not drawn within 300 s");
                    Progress.Say($"client: {result} run {i}: {ms:0} ms");
                    if (i > 0) // the first run warms the browser's module cache
                        times.Add(ms);
                }

                report.Add(what, $"median {Report.Ms(Stats.Median(times))}",
                    $"{Runs} runs after one warm-up, max {Report.Ms(times.Max())}; headless Chromium, 1280 px; load average then {Machine.LoadAverage()}", "-", null, "-");
            }
        }
        finally
        {
            Program.DeleteFolder(data);
        }
    }
}
