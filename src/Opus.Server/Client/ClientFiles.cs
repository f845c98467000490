using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Opus.Server.Client;

/// <summary>
/// Serves the web client (plain HTML, CSS and JavaScript modules from wwwroot) at /client/, before
/// authentication: the files hold no secret, and the client signs in through the API itself.
/// The pages get a strict Content-Security-Policy (scripts and styles from this server only, no
/// inline code; connections to this server and to a SAMP hub's Web Profile on the user's own computer,
/// whose port is fixed by the SAMP standard); every other response gets the sandboxing <see cref="ApiPolicy"/> from
/// <see cref="ErrorMessages"/>, so a job's HTML or SVG result opened directly in a browser runs no
/// script in this origin.
/// </summary>
public static class ClientFiles
{
    public const string BasePath = "/client";

    public const string PagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self' http://localhost:21012; " +
        "font-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

    public const string ApiPolicy = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'none'";

    /// <summary>Where the client's files are: Opus:ClientPath, or wwwroot beside the server, or under the content root.</summary>
    public static string? Locate(IConfiguration configuration, IWebHostEnvironment environment)
    {
        if (configuration["Opus:ClientPath"] is { Length: > 0 } configured)
            return Directory.Exists(configured) ? Path.GetFullPath(configured) : null;
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, "wwwroot"), Path.Combine(environment.ContentRootPath, "wwwroot") })
        {
            if (File.Exists(Path.Combine(candidate, "index.html")))
                return candidate;
        }

        return null;
    }

    public static WebApplication UseOpusClient(this WebApplication app)
    {
        var root = Locate(app.Configuration, app.Environment);
        if (root is null)
        {
            app.Logger.LogWarning("The web client's files (wwwroot) were not found; /client/ is not served");
            return app;
        }

        var files = new PhysicalFileProvider(root);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        app.Map(BasePath, client =>
        {
            client.Use(async (context, next) =>
            {
                if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                {
                    context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                    await context.Response.WriteAsync("the web client's files are read-only\n");
                    return;
                }

                // /client -> /client/, so relative module paths resolve under it.
                if (!context.Request.Path.HasValue)
                {
                    context.Response.Redirect($"{context.Request.PathBase}/{context.Request.QueryString}", permanent: true);
                    return;
                }

                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = PagePolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                // Revalidated on each load (ETag): a new server version is picked up at once.
                headers.CacheControl = "no-cache";
                await next(context);
            });
            client.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            client.UseStaticFiles(new StaticFileOptions { FileProvider = files, ContentTypeProvider = types });
            client.Run(async context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync($"no file at {context.Request.PathBase}{context.Request.Path}\n");
            });
        });
        return app;
    }
}
