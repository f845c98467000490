using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// Result views: tables (CSV, VOTable BINARY2 and BINARY, FITS BINTABLE) open as uPlot plots with column
/// pickers, log axes, zoom and the table a click away; a FITS image (BITPIX 16, BSCALE/BZERO, TAN
/// WCS) on a canvas with stretch, colour map, and the value and sky position under the cursor.
/// The files come from a job whose script writes them with numpy and astropy (the image by hand,
/// then read back by astropy for the expected value and coordinates, in expected.json).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class ResultViewTests(BrowserFixture fixture)
{
    private const string DefinitionName = "result-views";

    private const string Definition = """
        name: result-views
        version: "1.0"
        description: A spectrum (CSV), a table as VOTable BINARY2 and FITS, a FITS image, and what they hold.
        executionDuration: 300
        generated:
          - name: spectrum
            file: spectrum.csv
            contentType: text/csv
          - name: votable
            file: table.vot
            contentType: application/x-votable+xml
          - name: votbinary
            file: table-binary.vot
            contentType: application/x-votable+xml
          - name: fitstable
            file: table.fits
            contentType: application/fits
          - name: image
            file: image.fits
            contentType: application/fits
          - name: expected
            file: expected.json
            contentType: application/json
        script: |
          /usr/bin/python3 - <<'PY'
          import json, math, warnings
          import numpy as np
          from astropy.io import fits, votable
          from astropy.table import Table
          from astropy.wcs import WCS
          warnings.simplefilter('ignore')

          with open('spectrum.csv', 'w') as f:
              f.write('wavelength [Angstrom],flux [mJy]\n')
              for k in range(400):
                  w = 6463 + k * 0.5
                  f.write(f'{w},{1 + 3 * math.exp(-((w - 6563) / 4) ** 2):.5f}\n')

          n = 300
          k = np.arange(n)
          table = Table([4000 + k * 10.0, (2 + np.sin(k / 20)).astype('f4'), (k * 7 % 1000).astype('i4'),
                         (k % 3 - 1).astype('i2'), (k + 2 ** 40).astype('i8'), np.array([f'star{v}' for v in k], dtype='S8')],
                        names=('wavelength', 'flux', 'counts', 'flag', 'ident', 'name'), masked=True)
          table['wavelength'].unit = 'Angstrom'
          table['flux'].unit = 'mJy'
          table['counts'].unit = 'ct'
          fits.BinTableHDU(Table(table, masked=False)).writeto('table.fits')
          table['flux'].mask[5] = True
          table['counts'].mask[6] = True
          document = votable.from_table(table)
          document.get_first_table().get_field_by_id('counts').values.null = -1  # astropy wants one for a masked integer
          document.to_xml('table.vot', tabledata_format='binary2')
          document.to_xml('table-binary.vot', tabledata_format='binary')

          # The image by hand (BITPIX 16 with BSCALE/BZERO, TAN WCS with a CD matrix), read back by astropy below.
          nx, ny = 300, 200
          j, i = np.mgrid[0:ny, 0:nx]
          raw = (i * 7 + j * 13) % 3000 - 1000 + (20000 * np.exp(-((i - 200) ** 2 + (j - 60) ** 2) / 300)).astype(int)
          keys = [('SIMPLE', True), ('BITPIX', 16), ('NAXIS', 2), ('NAXIS1', nx), ('NAXIS2', ny), ('BSCALE', 0.5), ('BZERO', 100.0),
                  ('CTYPE1', 'RA---TAN'), ('CTYPE2', 'DEC--TAN'), ('CRPIX1', 150.5), ('CRPIX2', 100.5), ('CRVAL1', 83.633), ('CRVAL2', 22.0145),
                  ('CD1_1', -0.0005), ('CD1_2', 0.0001), ('CD2_1', 0.00012), ('CD2_2', 0.0005), ('BUNIT', 'mJy/beam')]
          def card(key, value):
              text = ('T' if value else 'F').rjust(20) if isinstance(value, bool) else f"'{value:<8}'" if isinstance(value, str) else repr(value).rjust(20)
              return f'{key:<8}= {text}'.ljust(80)
          header = ''.join(card(*kv) for kv in keys) + 'END'.ljust(80)
          header += ' ' * (-len(header) % 2880)
          data = raw.astype('>i2').tobytes()
          with open('image.fits', 'wb') as f:
              f.write(header.encode('ascii') + data + b'\0' * (-len(data) % 2880))
          with fits.open('image.fits') as hdus:
              x, y = 200, 60
              ra, dec = WCS(hdus[0].header).pixel_to_world_values(x, y)
              value = float(hdus[0].data[y, x])
          read = Table.read('table.vot')
          # Numbers as JavaScript writes them (4100, not 4100.0).
          js = lambda v: v if isinstance(v, str) else str(int(v)) if float(v).is_integer() else repr(float(v))
          expected = {'pixel': {'x': x + 1, 'y': y + 1, 'value': value, 'ra': float(ra), 'dec': float(dec), 'width': nx, 'height': ny},
                      'row10': [js(v) for v in [read['wavelength'][10], float(read['flux'][10]), read['counts'][10], read['flag'][10], read['ident'][10], read['name'][10].decode() if isinstance(read['name'][10], bytes) else read['name'][10]]]}
          with open('expected.json', 'w') as f:
              json.dump(expected, f)
          PY
        """;

    private sealed record Expected(int X, int Y, double Value, double Ra, double Dec, int Width, int Height, string[] Row10);

    /// <summary>Signs in, runs the job through the form, leaves the page on it; what the files hold, from expected.json.</summary>
    private async Task<(ClientSession Session, Expected Expected)> FinishedJobAsync(Func<Task<ClientSession>>? open = null)
    {
        using (var admin = fixture.Server.AdminClient())
        using (var response = await admin.PutAsync($"/jdl/{DefinitionName}?publish=true", new StringContent(Definition, System.Text.Encoding.UTF8, "application/yaml")))
            Assert.True(response.IsSuccessStatusCode, $"PUT /jdl/{DefinitionName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var session = open is null ? await ClientSession.OpenAsync(fixture.Browser, fixture.Server) : await open();
        var page = session.Page;
        await session.SignInAsync();
        await session.GoAsync($"#/new/{DefinitionName}");
        await page.GetByLabel("Start at once").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create job" }).ClickAsync();
        await Expect(page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        using var client = fixture.Server.AdminClient();
        var json = JsonDocument.Parse(await client.GetStringAsync($"/rest/{DefinitionName}/{session.CurrentJobId()}/results/expected")).RootElement;
        var pixel = json.GetProperty("pixel");
        var expected = new Expected(pixel.GetProperty("x").GetInt32(), pixel.GetProperty("y").GetInt32(), pixel.GetProperty("value").GetDouble(),
            pixel.GetProperty("ra").GetDouble(), pixel.GetProperty("dec").GetDouble(), pixel.GetProperty("width").GetInt32(), pixel.GetProperty("height").GetInt32(),
            [.. json.GetProperty("row10").EnumerateArray().Select(v => v.GetString()!)]);
        return (session, expected);
    }

    /// <summary>The result's card with its preview open (the first small result opens by itself).</summary>
    private static async Task<ILocator> OpenResultAsync(IPage page, string result)
    {
        var card = page.Locator($"[data-result='{result}']");
        var toggle = card.GetByRole(AriaRole.Button, new() { Name = "Preview" }).Or(card.GetByRole(AriaRole.Button, new() { Name = "Hide preview" }));
        if (await toggle.GetAttributeAsync("aria-expanded") != "true")
            await toggle.ClickAsync();
        return card;
    }

    private static async Task AssertPlotAsync(ILocator card, string xLabel, string yLabel, int points)
    {
        var plot = card.GetByTestId("plot");
        await Expect(plot).ToHaveAttributeAsync("data-x-label", xLabel);
        await Expect(plot).ToHaveAttributeAsync("data-y-label", yLabel);
        await Expect(plot).ToHaveAttributeAsync("data-points", points.ToString(CultureInfo.InvariantCulture));
        await Expect(plot.Locator("canvas")).ToBeVisibleAsync();
        await Expect(plot.Locator("canvas")).ToHaveAttributeAsync("aria-label", $"Plot of {yLabel} against {xLabel}, {points} points");
        Assert.True(await plot.Locator("canvas").EvaluateAsync<bool>("c => c.width > 100 && c.height > 100"), "the plot's canvas has no size");
    }

    private static async Task<string[]> TableRowAsync(ILocator card, int row) =>
        [.. await card.GetByTestId("preview-table").Locator("tbody tr").Nth(row).Locator("td").AllInnerTextsAsync()];

    [Fact]
    public async Task Tables_open_as_plots_with_labelled_axes_column_pickers_log_axes_zoom_and_the_table_a_click_away()
    {
        var (session, expected) = await FinishedJobAsync();
        await using var _ = session;
        var page = session.Page;

        // The CSV spectrum: its header cells are the labels, units and all.
        var spectrum = await OpenResultAsync(page, "spectrum");
        await AssertPlotAsync(spectrum, "wavelength [Angstrom]", "flux [mJy]", 400);
        await Expect(spectrum.GetByRole(AriaRole.Button, new() { Name = "Plot", Exact = true })).ToHaveAttributeAsync("aria-pressed", "true");

        // Drag across the middle of the plot: the x range shrinks; Reset zoom brings it back.
        var plot = spectrum.GetByTestId("plot");
        var before = await plot.GetAttributeAsync("data-x-range");
        Assert.Equal("6463 6662.5", before);
        var over = (await plot.Locator(".u-over").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(over.X + over.Width * 0.3f, over.Y + over.Height * 0.2f);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(over.X + over.Width * 0.45f, over.Y + over.Height * 0.5f, new() { Steps = 5 });
        await page.Mouse.MoveAsync(over.X + over.Width * 0.6f, over.Y + over.Height * 0.8f, new() { Steps = 5 });
        await page.Mouse.UpAsync();
        await Expect(plot).Not.ToHaveAttributeAsync("data-x-range", before!);
        var zoomed = (await plot.GetAttributeAsync("data-x-range"))!.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(zoomed[0] > 6463 && zoomed[1] < 6662.5 && zoomed[0] < zoomed[1], $"not zoomed in: {zoomed[0]} to {zoomed[1]}");
        await spectrum.GetByRole(AriaRole.Button, new() { Name = "Reset zoom" }).ClickAsync();
        await Expect(plot).ToHaveAttributeAsync("data-x-range", before!);

        await spectrum.GetByRole(AriaRole.Button, new() { Name = "Table", Exact = true }).ClickAsync();
        await Expect(spectrum.GetByTestId("preview-table").Locator("thead th")).ToHaveTextAsync(["wavelength [Angstrom]", "flux [mJy]"]);
        Assert.Equal(["6468.0", "1.00000"], await TableRowAsync(spectrum, 10));
        await Expect(spectrum.GetByTestId("plot")).ToBeHiddenAsync();

        // The VOTable (BINARY2): every datatype read as astropy reads it; nulls empty; the y picker changes the label.
        var votable = await OpenResultAsync(page, "votable");
        await AssertPlotAsync(votable, "wavelength [Angstrom]", "flux [mJy]", 300);
        await votable.GetByLabel("y", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "counts [ct]" });
        await AssertPlotAsync(votable, "wavelength [Angstrom]", "counts [ct]", 300);
        await votable.GetByLabel("x", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "flag" });
        await AssertPlotAsync(votable, "flag", "counts [ct]", 300);
        await votable.GetByLabel("log y").CheckAsync();
        await Expect(votable.GetByTestId("plot").Locator("figcaption")).ToContainTextAsync("(log y)");
        await votable.GetByRole(AriaRole.Button, new() { Name = "Table", Exact = true }).ClickAsync();
        await Expect(votable.GetByTestId("preview-table").Locator("thead th"))
            .ToHaveTextAsync(["wavelength [Angstrom]", "flux [mJy]", "counts [ct]", "flag", "ident", "name"]);
        Assert.Equal(expected.Row10, await TableRowAsync(votable, 10));
        Assert.Equal("", (await TableRowAsync(votable, 5))[1]);
        Assert.Equal("", (await TableRowAsync(votable, 6))[2]);

        // The same table in BINARY (no null flags: NaN and VALUES null are the blanks).
        var binary = await OpenResultAsync(page, "votbinary");
        await AssertPlotAsync(binary, "wavelength [Angstrom]", "flux [mJy]", 300);
        await binary.GetByRole(AriaRole.Button, new() { Name = "Table", Exact = true }).ClickAsync();
        Assert.Equal(expected.Row10, await TableRowAsync(binary, 10));
        Assert.Equal("", (await TableRowAsync(binary, 5))[1]);
        Assert.Equal("", (await TableRowAsync(binary, 6))[2]);

        // The FITS binary table: the same columns (astropy writes ct as count), its header a click away too.
        var fitsTable = await OpenResultAsync(page, "fitstable");
        await AssertPlotAsync(fitsTable, "wavelength [Angstrom]", "flux [mJy]", 300);
        await fitsTable.GetByLabel("y", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "ident" });
        await AssertPlotAsync(fitsTable, "wavelength [Angstrom]", "ident", 300);
        await fitsTable.GetByRole(AriaRole.Button, new() { Name = "Table", Exact = true }).ClickAsync();
        Assert.Equal(expected.Row10, await TableRowAsync(fitsTable, 10));
        await fitsTable.GetByRole(AriaRole.Button, new() { Name = "Header", Exact = true }).ClickAsync();
        await Expect(fitsTable.GetByText("XTENSION= 'BINTABLE'")).ToBeVisibleAsync();
        session.AssertNoErrors();
    }

    [Fact]
    public async Task A_FITS_image_is_drawn_and_shows_the_value_and_sky_position_under_the_cursor()
    {
        var (session, expected) = await FinishedJobAsync();
        await using var _ = session;
        var page = session.Page;
        var card = await OpenResultAsync(page, "image");
        var canvas = card.GetByTestId("fits-image");
        await Expect(canvas).ToBeVisibleAsync();
        await Expect(canvas).ToHaveAttributeAsync("width", expected.Width.ToString(CultureInfo.InvariantCulture));
        await Expect(canvas).ToHaveAttributeAsync("height", expected.Height.ToString(CultureInfo.InvariantCulture));
        await Expect(canvas).ToHaveAttributeAsync("data-stretch", "zscale");

        // The centre of pixel (x, y), FITS numbering from 1 at the bottom left.
        await canvas.ScrollIntoViewIfNeededAsync();
        var box = (await canvas.BoundingBoxAsync())!;
        await canvas.HoverAsync(new()
        {
            Position = new() { X = (expected.X - 0.5f) * box.Width / expected.Width, Y = (expected.Height - expected.Y + 0.5f) * box.Height / expected.Height },
        });
        var readout = card.GetByTestId("pixel-readout");
        await Expect(readout).ToContainTextAsync($"x {expected.X}, y {expected.Y}: ");
        var match = ReadoutPattern().Match(await readout.InnerTextAsync());
        Assert.True(match.Success, $"unexpected readout: {await readout.InnerTextAsync()}");
        Assert.Equal(expected.Value, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
        Assert.InRange(double.Parse(match.Groups["ra"].Value, CultureInfo.InvariantCulture), expected.Ra - 1e-5, expected.Ra + 1e-5);
        Assert.InRange(double.Parse(match.Groups["dec"].Value, CultureInfo.InvariantCulture), expected.Dec - 1e-5, expected.Dec + 1e-5);
        await Expect(readout).ToContainTextAsync("05h34m");

        // The canvas is not one colour, and each stretch and colour map changes it.
        const string Pixels = "c => c.toDataURL()";
        Assert.True(await canvas.EvaluateAsync<bool>("c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; return new Set(Array.from({ length: 500 }, (_, k) => d[k * 4 * 97])).size > 5; }"),
            "the image is drawn in fewer than six grey levels");
        var seen = new HashSet<string> { await canvas.EvaluateAsync<string>(Pixels) };
        foreach (var stretch in new[] { "linear", "log", "square root" })
        {
            await card.GetByLabel("Stretch").SelectOptionAsync(new SelectOptionValue { Label = stretch });
            Assert.True(seen.Add(await canvas.EvaluateAsync<string>(Pixels)), $"the {stretch} stretch did not change the image");
        }

        foreach (var map in new[] { "viridis", "heat", "grey" })
        {
            await card.GetByLabel("Colour map").SelectOptionAsync(new SelectOptionValue { Label = map });
            await Expect(canvas).ToHaveAttributeAsync("data-colours", map);
            Assert.True(seen.Add(await canvas.EvaluateAsync<string>(Pixels)) || map == "grey", $"the {map} colour map did not change the image");
        }

        await card.GetByRole(AriaRole.Button, new() { Name = "Header", Exact = true }).ClickAsync();
        await Expect(card.GetByText("CTYPE1  = 'RA---TAN'")).ToBeVisibleAsync();
        await card.GetByRole(AriaRole.Button, new() { Name = "Image", Exact = true }).ClickAsync();
        await Expect(canvas).ToBeVisibleAsync();
        session.AssertNoErrors();
    }

    [Fact]
    public async Task The_plot_and_image_views_pass_axe_fit_390_px_and_are_photographed_in_both_schemes()
    {
        var (session, _) = await FinishedJobAsync(() => AccessibilityTests.OpenAsync(fixture));
        await using var __ = session;
        var page = session.Page;
        var hash = "#" + page.Url.Split('#')[1];
        var problems = new List<string>();
        foreach (var (scheme, width) in new[] { (ColorScheme.Light, 1280), (ColorScheme.Dark, 1280), (ColorScheme.Light, 390), (ColorScheme.Dark, 390) })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.EmulateMediaAsync(new() { ColorScheme = scheme });
            await session.GoAsync(hash);
            var spectrum = await OpenResultAsync(page, "spectrum");
            await Expect(spectrum.GetByTestId("plot")).ToHaveAttributeAsync("data-points", "400");
            var image = await OpenResultAsync(page, "image");
            await Expect(image.GetByTestId("fits-image")).ToHaveAttributeAsync("data-stretch", "zscale");
            var what = $"result-views-{scheme.ToString().ToLowerInvariant()}-{width}";
            foreach (var violation in await AccessibilityTests.ViolationsAsync(page))
                problems.Add($"{what}: {violation}");
            var (scrollWidth, clientWidth) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => document.documentElement.clientWidth"));
            if (scrollWidth > clientWidth)
                problems.Add($"{what}: the page scrolls sideways ({scrollWidth} > {clientWidth} px)");
            var plotBox = (await spectrum.GetByTestId("plot").Locator("canvas").BoundingBoxAsync())!;
            if (plotBox.X + plotBox.Width > clientWidth)
                problems.Add($"{what}: the plot is wider than the page");
            await session.ScreenshotAsync(what);
        }

        Assert.True(problems.Count == 0, "found:\n" + string.Join("\n", problems));
        session.AssertNoErrors();
    }

    [GeneratedRegex(@"^x \d+, y \d+: (?<value>-?[\d.e+-]+) · RA (?<ra>[\d.]+)°, Dec (?<dec>[+-][\d.]+)°")]
    private static partial Regex ReadoutPattern();
}
