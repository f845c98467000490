using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Opus.Core;

namespace Opus.Server.Edge;

/// <summary>
/// Checks the addresses and TLS certificates Kestrel will listen with, the way Kestrel reads them (urls, or the
/// Kestrel:Endpoints section; certificate files under Kestrel:Certificates:Default or an endpoint's Certificate,
/// relative paths against the content root), before anything is created: Kestrel itself reads them only when it
/// starts listening, after the database, the first admin and its token already exist.
/// </summary>
public static class ListenCheck
{
    /// <summary>Throws <see cref="OpusConfigurationException"/> naming the key of the first unusable address or certificate.</summary>
    public static void Check(IConfiguration configuration, string contentRoot)
    {
        var kestrel = configuration.GetSection("Kestrel");
        var defaultCertificate = kestrel.GetSection("Certificates:Default");
        var hasDefault = defaultCertificate.GetChildren().Any();
        if (hasDefault)
            Load(defaultCertificate, contentRoot);

        var endpoints = kestrel.GetSection("Endpoints").GetChildren().ToList();
        foreach (var endpoint in endpoints)
        {
            var url = endpoint["Url"];
            if (!IsHttps(url, $"{endpoint.Path}:Url"))
                continue;
            var certificate = endpoint.GetSection("Certificate");
            if (certificate.GetChildren().Any())
                Load(certificate, contentRoot);
            else if (!hasDefault)
                throw new OpusConfigurationException($"{endpoint.Path}:Certificate: {url} needs a certificate; set {endpoint.Path}:Certificate:Path (a PEM file with Certificate:KeyPath, or a PFX file with Certificate:Password)");
        }

        // Kestrel listens on urls only when the Kestrel section names no endpoint.
        if (endpoints.Count > 0)
            return;
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IsHttps(url, "urls") && !hasDefault)
                throw new OpusConfigurationException($"urls: {url} needs a certificate; set Kestrel:Certificates:Default:Path (a PEM file with Kestrel:Certificates:Default:KeyPath, or a PFX file with Kestrel:Certificates:Default:Password)");
        }
    }

    private static bool IsHttps(string? url, string key)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url ?? "");
        }
        catch (FormatException)
        {
            throw new OpusConfigurationException($"{key}: '{url}' is not an address to listen on; give http:// or https:// with a host and port, e.g. https://0.0.0.0:8443");
        }

        if (address.Scheme is not ("http" or "https") || string.IsNullOrEmpty(address.Host) || (!address.IsUnixPipe && address.Port is < 0 or > 65535))
            throw new OpusConfigurationException($"{key}: '{url}' is not an address to listen on; give http:// or https:// with a host and port, e.g. https://0.0.0.0:8443");
        return address.Scheme == "https";
    }

    private static void Load(IConfigurationSection section, string contentRoot)
    {
        var path = section["Path"];
        if (string.IsNullOrEmpty(path))
        {
            // A certificate from the system's store is Kestrel's to find.
            if (!string.IsNullOrEmpty(section["Subject"]))
                return;
            throw new OpusConfigurationException($"{section.Path}:Path: missing; give the certificate file (PEM with KeyPath, or PFX with Password)");
        }

        var keyPath = section["KeyPath"];
        var password = section["Password"];
        try
        {
            var file = Path.Combine(contentRoot, path);
            using var certificate = string.IsNullOrEmpty(keyPath)
                ? X509CertificateLoader.LoadPkcs12FromFile(file, password)
                : string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(file, Path.Combine(contentRoot, keyPath))
                    : X509Certificate2.CreateFromEncryptedPemFile(file, password, Path.Combine(contentRoot, keyPath));
            if (!certificate.HasPrivateKey)
                throw new CryptographicException("it holds no private key");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            var reason = e switch
            {
                FileNotFoundException or DirectoryNotFoundException => "no such file",
                UnauthorizedAccessException => "not readable by this user",
                _ => e.Message.ReplaceLineEndings(" ").TrimEnd('.', ' '),
            };
            var files = string.IsNullOrEmpty(keyPath) ? $"'{path}'" : $"'{path}' with key '{keyPath}'";
            throw new OpusConfigurationException($"{section.Path}: cannot use {files} as a TLS certificate: {reason}");
        }
    }
}
