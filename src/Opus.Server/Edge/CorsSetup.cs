using Opus.Core;

namespace Opus.Server.Edge;

/// <summary>Configuration section Opus:Cors: the web origins whose pages may call Opus from a browser.</summary>
public sealed class CorsSettings
{
    /// <summary>Origins such as https://portal.example.org; none by default (no Access-Control-* header at all).</summary>
    public string[] Origins { get; set; } = [];

    /// <summary>Methods a listed origin may use; null for the defaults.</summary>
    public string[]? Methods { get; set; }

    /// <summary>Request headers a listed origin may send; null for the defaults.</summary>
    public string[]? Headers { get; set; }

    /// <summary>How long a browser may keep a preflight's answer (seconds).</summary>
    public int MaxAgeSeconds { get; set; } = 600;

    // Null above rather than defaults there: the configuration binder appends to an array, it does not replace it.
    public static readonly string[] DefaultMethods = ["GET", "HEAD", "POST", "PUT", "DELETE"];
    public static readonly string[] DefaultHeaders = ["Authorization", "Content-Type", "Accept", "Range"];

    // What a page's script may read of an answer: UWS redirects, a result's name and ranges.
    public static readonly string[] ExposedHeaders = ["Location", "Content-Disposition", "Content-Range"];
}

/// <summary>
/// CORS with ASP.NET Core's middleware: listed origins only, with credentials (tokens, the sign-in cookie);
/// preflights are answered before authentication; any other origin gets no Access-Control-* header.
/// </summary>
public static class CorsSetup
{
    public const string Section = "Opus:Cors";

    /// <summary>Reads and checks Opus:Cors; throws <see cref="OpusConfigurationException"/> naming the key.</summary>
    public static WebApplicationBuilder AddOpusCors(this WebApplicationBuilder builder)
    {
        CorsSettings settings;
        try
        {
            settings = builder.Configuration.GetSection(Section).Get<CorsSettings>() ?? new CorsSettings();
        }
        catch (InvalidOperationException)
        {
            throw new OpusConfigurationException($"{Section}:MaxAgeSeconds: '{builder.Configuration[$"{Section}:MaxAgeSeconds"]}' is not a whole number");
        }

        var origins = settings.Origins.Select(Origin).ToArray();
        if (settings.MaxAgeSeconds < 0)
            throw new OpusConfigurationException($"{Section}:MaxAgeSeconds: {settings.MaxAgeSeconds} is negative");
        if (origins.Length == 0)
            return builder;

        builder.Services.AddSingleton(settings);
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods(settings.Methods is { Length: > 0 } methods ? methods : CorsSettings.DefaultMethods)
            .WithHeaders(settings.Headers is { Length: > 0 } headers ? headers : CorsSettings.DefaultHeaders)
            .WithExposedHeaders(CorsSettings.ExposedHeaders)
            .AllowCredentials()
            .SetPreflightMaxAge(TimeSpan.FromSeconds(settings.MaxAgeSeconds))));
        return builder;
    }

    /// <summary>The CORS middleware, when origins are listed; place it before authentication.</summary>
    public static WebApplication UseOpusCors(this WebApplication app)
    {
        if (app.Services.GetService<CorsSettings>() is not null)
            app.UseCors();
        return app;
    }

    // An origin is scheme://host[:port]: no path, no wildcard (credentials are never offered to any origin).
    private static string Origin(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 && !value.Contains('*')
            ? uri.GetLeftPart(UriPartial.Authority)
            : throw new OpusConfigurationException($"{Section}:Origins: '{value}' is not an origin such as https://portal.example.org");
}
