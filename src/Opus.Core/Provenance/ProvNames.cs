using System.Globalization;
using System.Text;

namespace Opus.Core.Provenance;

/// <summary>
/// Namespaces, prefixes and identifiers of our provenance (provenance.md sections 2 and 3).
/// Local parts are percent-encoded so every identifier is a valid PROV-N qualified name.
/// </summary>
public static class ProvNames
{
    public const string ProvNamespace = "http://www.w3.org/ns/prov#";
    public const string XsdNamespace = "http://www.w3.org/2001/XMLSchema#";
    public const string VoprovNamespace = "http://www.ivoa.net/documents/ProvenanceDM/index.html#";
    public const string UwsNamespace = "http://www.ivoa.net/xml/UWS/v1.1#";
    public const string MediaTypeNamespace = "https://www.w3.org/ns/iana/media-types/";

    public const string Job = "opus_job";
    public const string Store = "opus_store";
    public const string User = "opus_user";
    public const string Jdl = "opus_jdl";

    /// <summary>The user name shown for jobs that belong to no one (anonymous access).</summary>
    public const string AnonymousUser = "anonymous";

    /// <summary>The prefixes every document declares, in this order (section 2).</summary>
    public static List<KeyValuePair<string, string>> PrefixesFor(string baseUrl)
    {
        var root = baseUrl.TrimEnd('/');
        return
        [
            new("voprov", VoprovNamespace),
            new(Job, $"{root}/rest/"),
            new(Store, $"{root}/store/?ID="),
            new(User, $"{root}/user/"),
            new(Jdl, $"{root}/jdl/"),
            new("uws", UwsNamespace),
            new("media-type", MediaTypeNamespace),
        ];
    }

    public static string JobId(string definition, string jobId) => $"{Job}:{Encode(definition)}/{Encode(jobId)}";

    /// <summary>A job-specific entity: <c>opus_job:NAME/ID/PATH</c>, PATH segments encoded one by one.</summary>
    public static string JobEntityId(string definition, string jobId, string path) =>
        $"{JobId(definition, jobId)}/{string.Join('/', path.Split('/').Select(Encode))}";

    public static string ParameterId(string definition, string jobId, string parameter) => JobEntityId(definition, jobId, $"parameters/{parameter}");

    public static string ContentId(string sha256) => $"{Store}:{sha256}";

    public static string UserId(string? userName) => $"{User}:{Encode(userName ?? AnonymousUser)}";

    public static string ActivityDescriptionId(string definition) => $"{Jdl}:{Encode(definition)}";

    /// <summary>Usage, Generation and Parameter descriptions: <c>opus_jdl:NAME#PART</c>.</summary>
    public static string DescriptionPartId(string definition, string part) => $"{Jdl}:{Encode(definition)}#{Encode(part)}";

    public static string MediaTypeId(string contentType) => $"media-type:{string.Join('/', contentType.Split('/').Select(Encode))}";

    public static string StoreUrl(string baseUrl, string sha256) => $"{baseUrl.TrimEnd('/')}/store/?ID={sha256}";

    /// <summary>
    /// Percent-encodes (UTF-8) every character outside A-Z a-z 0-9 _ - . ~, and also a final '.'
    /// and a leading '-' or '.', which PROV-N does not allow there.
    /// </summary>
    public static string Encode(string part)
    {
        var text = new StringBuilder(part.Length);
        var bytes = new byte[4];
        for (var i = 0; i < part.Length; i++)
        {
            var c = part[i];
            var edge = (i == part.Length - 1 && c == '.') || (i == 0 && c is '-' or '.');
            if (!edge && (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '~'))
            {
                text.Append(c);
                continue;
            }

            var length = char.IsHighSurrogate(c) && i + 1 < part.Length
                ? Encoding.UTF8.GetBytes(part.AsSpan(i++, 2), bytes)
                : Encoding.UTF8.GetBytes(part.AsSpan(i, 1), bytes);
            for (var b = 0; b < length; b++)
                text.Append('%').Append(bytes[b].ToString("X2", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>UTC, seconds, milliseconds only when not zero, "+00:00" (section 7.4; truncation keeps the order of instants).</summary>
    public static string FormatTime(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime();
        var format = utc.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.fff";
        return utc.ToString(format, CultureInfo.InvariantCulture) + "+00:00";
    }

    /// <summary>Parses an xsd:dateTime; one without a zone is taken as UTC. Null when malformed.</summary>
    public static DateTime? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text?.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value.UtcDateTime
            : null;
}
