using System.Net;

namespace Opus.Client.Tests.Samp;

/// <summary>A definition whose job makes one result of each kind the job page sends over SAMP.</summary>
public static class SampResults
{
    public const string Definition = "samp-results";

    private const string Yaml = """
        name: samp-results
        version: "1.0"
        description: A VOTable, a CSV table, a FITS image and a FITS table, each a result a desktop tool loads.
        executionDuration: 60
        generated:
          - name: votable
            file: stars.vot
            contentType: application/x-votable+xml
          - name: csv
            file: stars.csv
            contentType: text/csv
          - name: image
            file: sky.fits
            contentType: application/fits
          - name: catalogue
            file: catalogue.fits
            contentType: application/fits
        script: |
          printf '<?xml version="1.0"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE><FIELD name="ra" datatype="double" unit="deg"/><FIELD name="dec" datatype="double" unit="deg"/><DATA><TABLEDATA><TR><TD>10.5</TD><TD>-3.25</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n' > stars.vot
          printf 'ra,dec\n10.5,-3.25\n' > stars.csv
          for card in 'SIMPLE  =                    T' 'BITPIX  =                    8' 'NAXIS   =                    2' 'NAXIS1  =                    2' 'NAXIS2  =                    2' 'END'; do printf '%-80s' "$card"; done > sky.fits
          printf '%2400s' '' >> sky.fits
          printf '\001\002\003\004' >> sky.fits
          head -c 2876 /dev/zero >> sky.fits
          for card in 'SIMPLE  =                    T' 'BITPIX  =                    8' 'NAXIS   =                    0' 'EXTEND  =                    T' 'END'; do printf '%-80s' "$card"; done > catalogue.fits
          printf '%2480s' '' >> catalogue.fits
          for card in "XTENSION= 'BINTABLE'" 'BITPIX  =                    8' 'NAXIS   =                    2' 'NAXIS1  =                    8' 'NAXIS2  =                    1' 'PCOUNT  =                    0' 'GCOUNT  =                    1' 'TFIELDS =                    1' "TTYPE1  = 'ra      '" "TFORM1  = 'D       '" 'END'; do printf '%-80s' "$card"; done >> catalogue.fits
          printf '%2000s' '' >> catalogue.fits
          printf '\100\045\000\000\000\000\000\000' >> catalogue.fits
          head -c 2872 /dev/zero >> catalogue.fits
        """;

    /// <summary>Publishes the definition, unless an earlier test did.</summary>
    public static async Task PublishAsync(HttpClient admin)
    {
        using (var existing = await admin.GetAsync($"/jdl/{Definition}"))
        {
            if (existing.IsSuccessStatusCode)
                return;
        }

        using var response = await admin.PutAsync($"/jdl/{Definition}?publish=true", new StringContent(Yaml, System.Text.Encoding.UTF8, "application/yaml"));
        Assert.True(response.IsSuccessStatusCode, $"PUT /jdl/{Definition}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Nothing answers at localhost:21012 (so the page must say that no hub runs).</summary>
    public static async Task AssertNoHubAsync()
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            using var socket = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(address, SampProcess.WebProfilePort);
            }
            catch (System.Net.Sockets.SocketException)
            {
                continue;
            }

            Assert.Fail($"something already listens on {address}:{SampProcess.WebProfilePort} (a SAMP hub?): stop it to run this test");
        }
    }
}
