using Opus.Core.Uws;

namespace Opus.Server.Endpoints;

/// <summary>Streams an XML document straight to the response body (job lists of any length).</summary>
internal sealed class StreamedXml(Func<Stream, Task> write) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = UwsXml.ContentType;
        await write(httpContext.Response.Body);
    }
}
