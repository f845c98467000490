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

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var user = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : "-";
            // A request that failed with an exception not yet turned into an answer is still a 500 here.
            Request(context.Request.Method, $"{context.Request.PathBase}{context.Request.Path}", context.Response.StatusCode,
                Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1), user);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{Method} {Path} {StatusCode} {DurationMs} ms {User}")]
    private partial void Request(string method, string path, int statusCode, double durationMs, string user);
}
