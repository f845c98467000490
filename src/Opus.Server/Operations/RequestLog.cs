using System.Diagnostics;

namespace Opus.Server.Operations;

/// <summary>
/// The access log: one structured event per request (category Opus.Requests) when it ends. The path is logged
/// without its query string, which may carry secrets (a sign-in's code, a token in a link).
/// </summary>
public sealed partial class RequestLog(RequestDelegate next, ILoggerFactory loggers)
{
    public const string Category = "Opus.Requests";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    // Off (Warning and above only): not a step of its own in every request.
    public Task InvokeAsync(HttpContext context) => _logger.IsEnabled(LogLevel.Information) ? LogAsync(context) : next(context);

    private async Task LogAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            Log(context, started);
        }
    }

    private void Log(HttpContext context, long started)
    {
        var user = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : "-";
        var path = $"{context.Request.PathBase}{context.Request.Path}";
        var duration = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
        // A request that failed with an exception not yet turned into an answer is still a 500 here.
        if (context.User.FindFirst(Auth.OnBehalfOf.PortalClaim)?.Value is { } portal)
            RequestOnBehalf(context.Request.Method, path, context.Response.StatusCode, duration, user, portal);
        else
            Request(context.Request.Method, path, context.Response.StatusCode, duration, user);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} {DurationMs} ms {User}")]
    private partial void Request(string method, string path, int statusCode, double durationMs, string user);

    // A portal's request on behalf of one of its users (X-Opus-On-Behalf-Of): both names.
    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} {DurationMs} ms {User} by portal {Portal}")]
    private partial void RequestOnBehalf(string method, string path, int statusCode, double durationMs, string user, string portal);
}
