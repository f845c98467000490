using Opus.Core.Jobs;

namespace Opus.Server;

/// <summary>
/// Turns Core's errors into plain one-line answers: 400 for malformed or invalid input, 403 for a
/// request illegal in the job's state, 404 for something unknown, 413 for input over a size limit; 500 only for our own faults,
/// without a stack trace.
/// </summary>
public sealed class ErrorMessages(RequestDelegate next, ILogger<ErrorMessages> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Classify(e) is { } status)
        {
            if (status == StatusCodes.Status500InternalServerError)
                logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            var message = status == StatusCodes.Status500InternalServerError ? "internal server error; the server log has the details" : OneLine(e.Message);
            context.Response.Clear();
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message + "\n");
        }
    }

    private static int? Classify(Exception e) => e switch
    {
        OpusTooLargeException => StatusCodes.Status413PayloadTooLarge,
        OpusValidationException => StatusCodes.Status400BadRequest,
        BadHttpRequestException bad => bad.StatusCode,
        InvalidDataException => StatusCodes.Status400BadRequest,
        OpusStateException => StatusCodes.Status403Forbidden,
        OpusConflictException => StatusCodes.Status409Conflict,
        OpusNotFoundException => StatusCodes.Status404NotFound,
        OperationCanceledException => null,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
