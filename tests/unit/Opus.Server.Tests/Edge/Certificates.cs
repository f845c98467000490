using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Opus.Server.Tests.Edge;

/// <summary>Self-signed certificates made by the tests, written as PEM or PFX, and what a server presents in its TLS handshake.</summary>
public static class Certificates
{
    /// <summary>A certificate for 127.0.0.1 and localhost, valid from a few minutes ago for a day.</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>Writes the certificate and its key as PEM files, each through a temporary file renamed over the old one (as certbot's renewal does).</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        Replace(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        Replace(certificatePath, certificate.ExportCertificatePem());
    }

    public static void WritePfx(X509Certificate2 certificate, string path, string password)
    {
        var temporary = path + ".new";
        File.WriteAllBytes(temporary, certificate.Export(X509ContentType.Pkcs12, password));
        File.Move(temporary, path, overwrite: true);
    }

    private static void Replace(string path, string text)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The thumbprint of the certificate the server at 127.0.0.1:<paramref name="port"/> presents on a new connection; null when none answers.</summary>
    public static async Task<string?> PresentedAsync(int port)
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            string? seen = null;
            await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) =>
            {
                seen = certificate?.GetCertHashString();
                return true;
            });
            await tls.AuthenticateAsClientAsync("localhost");
            return seen;
        }
        catch (Exception e) when (e is SocketException or IOException or AuthenticationException)
        {
            return null;
        }
    }

    /// <summary>An HTTP client that trusts exactly the given certificates (and follows no redirects).</summary>
    public static HttpClient ClientTrusting(Uri baseUri, params X509Certificate2[] trusted)
    {
        var thumbprints = trusted.Select(c => c.Thumbprint).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && thumbprints.Contains(certificate.Thumbprint),
        };
        return new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(120) };
    }
}
