using System.Globalization;
using Microsoft.Extensions.Primitives;
using Opus.Core.Jobs;

namespace Opus.Server.Endpoints;

/// <summary>Reads UWS request values; a malformed one is a 400 naming the parameter and the value.</summary>
internal static class UwsRequest
{
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HasFormContentType)
        {
            try
            {
                return await request.ReadFormAsync(cancellationToken);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                // A multipart body cut short (no closing boundary) is the client's mistake, not a 500.
                throw new OpusValidationException("the form body is incomplete: a multipart/form-data body ends with its closing boundary");
            }
        }

        if (request.ContentLength is > 0)
            throw new OpusValidationException($"send the parameters as application/x-www-form-urlencoded or multipart/form-data, not '{request.ContentType}'");
        return FormCollection.Empty;
    }

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

    public static DateTime ParseInstant(string value, string name) =>
        UwsTime.Parse(value) ?? throw new OpusValidationException($"{name}: '{Shorten(value)}' is not an ISO 8601 instant such as 2026-01-31T12:00:00Z");

    public static JobPhase ParsePhase(string value, string name) =>
        JobPhases.Parse(value) ?? throw new OpusValidationException($"{name}: '{Shorten(value)}' is not a UWS phase ({string.Join(", ", Enum.GetNames<JobPhase>())})");

    public static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";
}
