using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Net.Http.Headers;
using Opus.Core;

namespace Opus.Server.Edge;

/// <summary>
/// What the server looks like from outside: TLS from Kestrel's configuration, a reverse proxy's X-Forwarded-*
/// headers (believed from the configured proxies only), a path prefix, and the public URL links are built from.
/// It sets the request's scheme, host, path base and client address once, first in the pipeline, so every
/// link (built from Request.Scheme, Host and PathBase) and the sign-in lockout (by the client's address) follow.
/// </summary>
public static class EdgeSetup
{
    public static WebApplicationBuilder AddOpusEdge(this WebApplicationBuilder builder)
    {
        // The slim builder leaves out Kestrel's https configuration (certificates from the Kestrel section,
        // reloaded when their files change); without it an https address aborts the start.
        builder.WebHost.UseKestrelHttpsConfiguration();
        ListenOnUrlsAsEndpoints(builder.Configuration);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<OpusOptions>((forwarded, options) =>
        {
            // X-Forwarded-Prefix: a proxy that takes its prefix off the path (proxy_pass http://opus/;) says here what it was.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix;
            // Only the configured proxies; the defaults (loopback) would let any local process claim an address.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in options.Proxy.KnownProxies)
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in options.Proxy.KnownNetworks)
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            // Walk back through every trusted proxy in X-Forwarded-For to the first address that is not one.
            forwarded.ForwardLimit = null;
        });
        return builder;
    }

    /// <summary>
    /// Kestrel watches the certificate files of its configured endpoints and rebinds them when the files change,
    /// but not those of addresses given as urls. So https urls with Kestrel:Certificates:Default are handed to
    /// Kestrel as endpoints carrying that certificate: a renewed certificate is served without a restart.
    /// </summary>
    private static void ListenOnUrlsAsEndpoints(ConfigurationManager configuration)
    {
        var kestrel = configuration.GetSection("Kestrel");
        var certificate = kestrel.GetSection("Certificates:Default").GetChildren().ToList();
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (kestrel.GetSection("Endpoints").GetChildren().Any() || certificate.Count == 0 || !urls.Any(IsHttps))
            return;
        var endpoints = new Dictionary<string, string?> { ["urls"] = "" };
        for (var i = 0; i < urls.Length; i++)
        {
            endpoints[$"Kestrel:Endpoints:Url{i}:Url"] = urls[i];
            if (IsHttps(urls[i]))
            {
                foreach (var setting in certificate)
                    endpoints[$"Kestrel:Endpoints:Url{i}:Certificate:{setting.Key}"] = setting.Value;
            }
        }

        configuration.AddInMemoryCollection(endpoints);
        static bool IsHttps(string url) => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
    }

    public static WebApplication UseOpusEdge(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<OpusOptions>();
        if (options.Proxy.KnownProxies.Count > 0 || options.Proxy.KnownNetworks.Count > 0)
            app.UseForwardedHeaders();

        Uri? publicUrl = string.IsNullOrEmpty(options.PublicUrl) ? null : new Uri(options.PublicUrl);
        var pathBase = (options.PathBase ?? publicUrl?.AbsolutePath ?? "").TrimEnd('/');
        if (pathBase.Length > 0)
            app.UsePathBase(pathBase);
        if (publicUrl is not null)
        {
            // Authority leaves out a default port, as a browser does.
            var host = new HostString(publicUrl.Authority);
            var publicPathBase = new PathString(publicUrl.AbsolutePath.TrimEnd('/'));
            app.Use((context, next) =>
            {
                context.Request.Scheme = publicUrl.Scheme;
                context.Request.Host = host;
                context.Request.PathBase = publicPathBase;
                return next(context);
            });
        }

        // Routes are matched on the path without its prefix: routing runs after UsePathBase.
        app.UseRouting();
        return app;
    }

    /// <summary>/: a browser to the web client, any other client (UWS, Accept XML or nothing) to the job lists; neither needs credentials.</summary>
    public static void MapRoot(this IEndpointRouteBuilder app) =>
        app.MapGet("/", (HttpContext context) =>
        {
            context.Response.Headers.Vary = HeaderNames.Accept;
            var browser = context.Request.GetTypedHeaders().Accept.Any(accept => accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
            return Results.Redirect($"{context.Request.PathBase}{(browser ? "/client/" : "/rest")}");
        }).AllowAnonymous();
}
