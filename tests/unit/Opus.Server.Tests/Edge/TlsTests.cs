using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Edge;

/// <summary>
/// Kestrel serves https from certificate files named in the configuration (PEM or PFX), serves a renewed
/// certificate without a restart, and a start with an unusable address or certificate stops with one line and
/// exit code 2 before it creates anything.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("opus-tls-").FullName;

    private string DataPath => Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;

    [Fact]
    public async Task Https_urls_with_pem_files_are_served_and_a_renewed_certificate_is_served_without_restart()
    {
        var certificatePath = Path.Combine(_folder, "fullchain.pem");
        var keyPath = Path.Combine(_folder, "privkey.pem");
        using var first = Certificates.SelfSigned("opus-first");
        Certificates.WritePem(first, certificatePath, keyPath);
        var port = OpusServer.FreePort();
        await using var server = ServerProcess.Start(DataPath,
            $"--urls=https://127.0.0.1:{port}",
            $"--Kestrel:Certificates:Default:Path={certificatePath}",
            $"--Kestrel:Certificates:Default:KeyPath={keyPath}",
            "--Opus:LoadSamples=true");

        await server.UntilAsync(() => Certificates.PresentedAsync(port), seen => seen == first.Thumbprint, "the first certificate served");
        await AssertServesAsync(port, first);

        using var renewed = Certificates.SelfSigned("opus-renewed");
        Certificates.WritePem(renewed, certificatePath, keyPath);
        await server.UntilAsync(() => Certificates.PresentedAsync(port), seen => seen == renewed.Thumbprint, "the renewed certificate served");
        await AssertServesAsync(port, renewed);
        Assert.False(server.HasExited);

        // A job over https runs to its end (its runner reports whether or not it could call back).
        using var client = Certificates.ClientTrusting(new Uri($"https://localhost:{port}"), renewed);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{OpusServer.AdminToken}")));
        using var created = await client.PostFormAsync("/rest/copy", ("text", "over TLS"), ("PHASE", "RUN"));
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        Assert.StartsWith($"https://localhost:{port}/rest/copy/", created.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal("COMPLETED", (await client.WaitForFinalAsync(created.Headers.Location.AbsolutePath)).Phase());
    }

    [Fact]
    public async Task An_https_endpoint_with_a_pfx_file_is_served_and_a_renewed_file_is_served_without_restart()
    {
        var pfxPath = Path.Combine(_folder, "opus.pfx");
        const string password = "test-pfx-password";
        using var first = Certificates.SelfSigned("opus-pfx-first");
        Certificates.WritePfx(first, pfxPath, password);
        var port = OpusServer.FreePort();
        await using var server = ServerProcess.Start(DataPath,
            $"--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{port}",
            $"--Kestrel:Endpoints:Https:Certificate:Path={pfxPath}",
            $"--Kestrel:Endpoints:Https:Certificate:Password={password}");

        await server.UntilAsync(() => Certificates.PresentedAsync(port), seen => seen == first.Thumbprint, "the PFX certificate served");
        await AssertServesAsync(port, first);

        using var renewed = Certificates.SelfSigned("opus-pfx-renewed");
        Certificates.WritePfx(renewed, pfxPath, password);
        await server.UntilAsync(() => Certificates.PresentedAsync(port), seen => seen == renewed.Thumbprint, "the renewed PFX certificate served");
        await AssertServesAsync(port, renewed);
    }

    public static TheoryData<string, string[], string> Unusable => new()
    {
        { "a certificate file that is no certificate", ["--urls=https://127.0.0.1:{port}", "--Kestrel:Certificates:Default:Path={folder}/garbage.pem", "--Kestrel:Certificates:Default:KeyPath={folder}/garbage.pem"],
            "Kestrel:Certificates:Default: cannot use" },
        { "a missing certificate file", ["--urls=https://127.0.0.1:{port}", "--Kestrel:Certificates:Default:Path={folder}/absent.pem", "--Kestrel:Certificates:Default:KeyPath={folder}/absent.key"],
            "no such file" },
        { "a PFX file with a wrong password", ["--Kestrel:Endpoints:Https:Url=https://127.0.0.1:{port}", "--Kestrel:Endpoints:Https:Certificate:Path={folder}/opus.pfx", "--Kestrel:Endpoints:Https:Certificate:Password=wrong"],
            "Kestrel:Endpoints:Https:Certificate: cannot use" },
        { "an https address without a certificate", ["--urls=https://127.0.0.1:{port}"], "urls: https://127.0.0.1:" },
        { "an address that is not one", ["--urls=ftp://127.0.0.1:{port}"], "urls: 'ftp://127.0.0.1:" },
        { "a proxy that is no address", ["--urls=http://127.0.0.1:{port}", "--Opus:Proxy:KnownProxies:0=proxy.example.org"], "Opus:Proxy:KnownProxies: 'proxy.example.org' is not an IP address" },
        { "a public URL that is not one", ["--urls=http://127.0.0.1:{port}", "--Opus:PublicUrl=opus.example.org/opus"], "Opus:PublicUrl: 'opus.example.org/opus' is not an absolute" },
        { "an endpoint address that is not one", ["--Kestrel:Endpoints:Web:Url=https//127.0.0.1"], "Kestrel:Endpoints:Web:Url: 'https//127.0.0.1' is not an address" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task An_unusable_address_or_certificate_stops_the_start_with_one_line_and_exit_code_2_before_anything_is_created(string what, string[] arguments, string expected)
    {
        File.WriteAllText(Path.Combine(_folder, "garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        using (var certificate = Certificates.SelfSigned("opus-pfx"))
            Certificates.WritePfx(certificate, Path.Combine(_folder, "opus.pfx"), "right");
        var port = OpusServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var data = DataPath;
        await using var server = ServerProcess.Start(data, arguments.Select(a => a.Replace("{port}", port).Replace("{folder}", _folder)).ToArray());

        Assert.Equal(2, await server.ExitCodeAsync());
        var errors = server.Errors.Trim();
        Assert.True(errors.Split('\n').Length == 1 && errors.StartsWith("opus: ", StringComparison.Ordinal), $"{what}: one line expected, got:\n{errors}");
        Assert.Contains(expected, errors, StringComparison.Ordinal);
        // Nothing was created: no database, no store, no admin token, nothing printed.
        Assert.Empty(Directory.EnumerateFileSystemEntries(data));
        Assert.DoesNotContain("opus_", server.Output + errors, StringComparison.Ordinal);
    }

    private static async Task AssertServesAsync(int port, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        using var client = Certificates.ClientTrusting(new Uri($"https://localhost:{port}"), certificate);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{OpusServer.AdminToken}")));
        using var response = await client.GetAsync("/rest");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Links name the scheme the client used.
        using var root = await client.GetAsync("/scim/v2/ServiceProviderConfig");
        Assert.Contains($"\"https://localhost:{port}/scim/v2/ServiceProviderConfig\"", await root.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
