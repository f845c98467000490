using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Server.Client;
using Opus.Server.Endpoints;

namespace Opus.Server;

/// <summary>
/// The first middleware. Every answer gets the security headers the README promises (whatever
/// produced it: an endpoint, an error, a status-code page, authentication). Core's errors become
/// one-line answers (plain text, or problem details' "detail" on the JSON APIs marked <see cref="ProblemErrors"/>): 400 for malformed or invalid input, 403 for a request illegal in the
/// job's state, 404 for something unknown, 413 for input over a size limit, 507 when the server's disk is full; 500 only for our own
/// faults, without a stack trace.
/// </summary>
public sealed class ErrorMessages(RequestDelegate next, ILogger<ErrorMessages> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(SetSecurityHeaders, context.Response);
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Classify(e) is { } status)
        {
            var message = status switch
            {
                StatusCodes.Status500InternalServerError => "internal server error; the server log has the details",
                StatusCodes.Status507InsufficientStorage => StorageErrors.DiskFullMessage,
                _ => OneLine(e.Message),
            };
            if (status == StatusCodes.Status500InternalServerError)
                logger.LogError(e, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            else if (status == StatusCodes.Status507InsufficientStorage)
                logger.LogError("Refused {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path, e.Message);
            context.Response.Clear();
            context.Response.StatusCode = status;
            if (context.GetEndpoint()?.Metadata.GetMetadata<ProblemErrors>() is not null
                && await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(
                    new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = status, Detail = message } }))
                return;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message + "\n");
        }
    }

    // The web client's pages set their own (stricter for scripts) policy; everything else is sandboxed,
    // so a job's HTML or SVG result, or an error echoing a value, runs no script in this origin.
    private static Task SetSecurityHeaders(object state)
    {
        var headers = ((HttpResponse)state).Headers;
        if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
            headers.ContentSecurityPolicy = ClientFiles.ApiPolicy;
        headers.XContentTypeOptions = "nosniff";
        return Task.CompletedTask;
    }

    private static int? Classify(Exception e) => e switch
    {
        OpusTooLargeException => StatusCodes.Status413PayloadTooLarge,
        _ when StorageErrors.IsDiskFull(e) => StatusCodes.Status507InsufficientStorage,
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
