using System.Globalization;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Opus.Core.Jobs;
using Opus.Core.Storage;

namespace Opus.Server.Endpoints;

/// <summary>Reads UWS request values; a malformed one is a 400 naming the parameter and the value.</summary>
internal static class UwsRequest
{
    /// <summary>
    /// The form of every route that takes one: a body cut short, a bad multipart boundary or an
    /// unsupported charset is the client's mistake, a 400 with one line (never a 500 with a stack trace).
    /// </summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            if (request.ContentLength is > 0)
                throw new OpusValidationException($"send the parameters as application/x-www-form-urlencoded or multipart/form-data, not '{Shorten(request.ContentType ?? "")}'");
            return FormCollection.Empty;
        }

        try
        {
            return await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException && MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.Charset.HasValue)
        {
            throw new OpusValidationException($"charset '{Shorten(type.Charset.Value ?? "")}' is not supported; send the form in UTF-8");
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or ArgumentException || (e is IOException and not BadHttpRequestException && !StorageErrors.IsDiskFull(e)))
        {
            // Kestrel's own BadHttpRequestException (413 for a body over the limit...) stands.
            // A body cut short (the client stopped sending, or the closing boundary is missing) or not a form at all.
            var reason = e is IOException ? "the body ends before the form does" : e.Message.ReplaceLineEndings(" ");
            throw new OpusValidationException($"the request body is not a well-formed {MediaTypeOf(request)} form: {reason}");
        }
    }

    private static string MediaTypeOf(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type.MediaType.Value ?? "" : "";

    public static string? Single(IFormCollection form, string name) => Single(form.TryGetValue(name, out var v) ? v : StringValues.Empty, name);

    public static string? Single(IQueryCollection query, string name) => Single(query.TryGetValue(name, out var v) ? v : StringValues.Empty, name);

    private static string? Single(StringValues values, string name) => values.Count switch
    {
        0 => null,
        1 => values[0],
        _ => throw new OpusValidationException($"{name} is given {values.Count} times; give it once"),
    };

    public static int ParseInt(string value, string name) =>
        int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new OpusValidationException($"{name}: '{Shorten(value)}' is not an integer");

    public static bool ParseBool(string value, string name) =>
        value.Trim().ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new OpusValidationException($"{name}: '{Shorten(value)}' is not true or false"),
        };

    public static DateTime ParseInstant(string value, string name) =>
        UwsTime.Parse(value) ?? throw new OpusValidationException($"{name}: '{Shorten(value)}' is not an ISO 8601 instant such as 2026-01-31T12:00:00Z");

    public static JobPhase ParsePhase(string value, string name) =>
        JobPhases.Parse(value) ?? throw new OpusValidationException($"{name}: '{Shorten(value)}' is not a UWS phase ({string.Join(", ", Enum.GetNames<JobPhase>())})");

    public static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";
}
