using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Server.Endpoints;

/// <summary>
/// Reads a definition document from a request, the body itself or a multipart file part, no larger
/// than Opus:Definitions:MaxDocumentBytes: a larger one is a 413 before it is read into memory.
/// </summary>
public static class DefinitionUpload
{
    // Room for a multipart envelope (boundaries, part headers) around the file itself.
    private const long EnvelopeBytes = 64 << 10;

    /// <summary>The document and its source for messages: the file's name, or <paramref name="bodySource"/>.</summary>
    public static async Task<(string Content, string Source)> ReadAsync(HttpRequest request, DefinitionLimits limits, string bodySource, CancellationToken ct)
    {
        var max = limits.MaxDocumentBytes;
        var envelope = request.HasFormContentType ? EnvelopeBytes : 0;
        if (request.ContentLength > max + envelope)
            throw limits.TooLarge(bodySource);
        // Kestrel stops a body sent without a length (chunked) at this size instead of the server-wide upload limit.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = max + envelope;
        try
        {
            if (request.HasFormContentType)
            {
                var form = await UwsRequest.ReadFormAsync(request, ct);
                var file = form.Files.FirstOrDefault() ?? throw new OpusValidationException("attach the definition file (YAML, JSON or VOTable)");
                var source = Path.GetFileName(file.FileName);
                if (file.Length > max)
                    throw limits.TooLarge(source);
                using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
                return (await reader.ReadToEndAsync(ct), source);
            }

            // Kestrel enforces the size set above; DefinitionService.Read checks it again wherever the text comes from.
            using var body = new StreamReader(request.Body, Encoding.UTF8);
            var content = await body.ReadToEndAsync(ct);
            if (string.IsNullOrWhiteSpace(content))
                throw new OpusValidationException("send the definition (YAML, JSON or VOTable) as the request body");
            return (content, bodySource);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw limits.TooLarge(bodySource);
        }
    }
}
