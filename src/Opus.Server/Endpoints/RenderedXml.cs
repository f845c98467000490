using Opus.Core.Uws;

namespace Opus.Server.Endpoints;

/// <summary>
/// An XML document already encoded: its length and bytes, written in one go. Leaner than Results.Bytes, which
/// also evaluates range and conditional request headers and creates a logger for every answer; WAIT hands one
/// rendering to every waiter a change wakes (a thousand answers at once).
/// </summary>
internal sealed class RenderedXml(ReadOnlyMemory<byte> document) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = UwsXml.ContentType;
        response.ContentLength = document.Length;
        return response.BodyWriter.WriteAsync(document).AsTask();
    }
}
