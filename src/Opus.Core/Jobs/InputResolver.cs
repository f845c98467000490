using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Opus.Core.Definitions;
using Opus.Core.Store;
using Opus.Core.Users;

namespace Opus.Core.Jobs;

/// <summary>
/// Turns what a client gave for each used entity into <see cref="JobInput"/>s, in the order of
/// provenance.md section 5: an upload, a value naming stored content, a URL or identifier the
/// server downloads (http/https only, size and time limits, no private addresses unless allowed),
/// an external URL, or a plain value.
/// </summary>
public sealed partial class InputResolver(EntityStore store, OpusOptions options)
{
    private readonly Lazy<HttpClient> _http = new(() => CreateClient(options));

    /// <summary>A slot that takes input entities: a Used group, or a parameter of type file.</summary>
    public sealed record Slot(string Name, string? Multiplicity, string? Url, string? Default, bool Required, string? ContentType)
    {
        public bool AllowsMany => Multiplicity is { } m && m.Trim() is not ("" or "1" or "0..1");

        public int? Maximum => Multiplicity is { } m && int.TryParse(m.Trim(), out var max) ? max : null;
    }

    public static IReadOnlyList<Slot> SlotsOf(JobDefinition definition) =>
        definition.Used.Select(u => new Slot(u.Name, u.Multiplicity, u.Url, u.Default, u.Required, u.ContentType))
            .Concat(definition.Parameters.Where(p => p.Type == ParameterTypes.File)
                .Select(p => new Slot(p.Name, "1", "file://$ID", p.Default, p.Required && p.Default is null, null)))
            .ToList();

    public async Task<List<JobInput>> ResolveAsync(
        IReadOnlyList<Slot> slots,
        IReadOnlyList<KeyValuePair<string, string>> values,
        IReadOnlyList<JobUpload> uploads,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var owner = caller.Anonymous ? null : caller.UserName;
        var inputs = new List<JobInput>();
        foreach (var slot in slots)
        {
            var files = uploads.Where(u => u.Name.Equals(slot.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            var given = values.Where(v => v.Key.Equals(slot.Name, StringComparison.OrdinalIgnoreCase))
                .SelectMany(v => Split(slot, v.Value)).ToList();
            if (files.Count == 0 && given.Count == 0)
            {
                if (slot.Default is not null)
                    given = Split(slot, slot.Default).ToList();
                else if (slot.Required)
                    throw new OpusValidationException($"input '{slot.Name}' is required: upload a file or give a URL or identifier");
                else
                    continue;
            }

            var count = files.Count + given.Count;
            if (!slot.AllowsMany && count > 1)
                throw new OpusValidationException($"input '{slot.Name}' takes one value; {count} were given");
            if (slot.Maximum is { } max && count > max)
                throw new OpusValidationException($"input '{slot.Name}' takes at most {max} values; {count} were given");

            var index = 0;
            foreach (var upload in files)
            {
                await using var uploaded = upload.Open();
                // The same limit as for downloads (Opus:Inputs:MaxBytes covers uploads too).
                await using var content = new LimitedStream(uploaded, options.Inputs.MaxBytes, () => TooLarge(slot));
                var (sha, size) = await store.AddStreamAsync(content, cancellationToken);
                var fileName = SafeFileName(upload.FileName, slot.Name);
                var contentType = slot.ContentType ?? MediaTypes.Guess(fileName);
                await store.RegisterAsync(sha, size, fileName, contentType, owner, null, cancellationToken);
                inputs.Add(new JobInput(slot.Name, ++index, JobInputKind.File, fileName, sha, size, fileName, contentType));
            }

            foreach (var value in given)
                inputs.Add(await ResolveValueAsync(slot, ++index, value, owner, caller, cancellationToken));
        }

        return inputs;
    }

    private async Task<JobInput> ResolveValueAsync(Slot slot, int index, string value, string? owner, Caller caller, CancellationToken cancellationToken)
    {
        if (value.Contains('\0'))
            throw new OpusValidationException($"input '{slot.Name}': the value contains a NUL character");
        if (StoreDigest(value) is { } digest)
        {
            var entity = await store.FindAsync(digest, cancellationToken);
            // Only content the caller could download may be named: a digest is no key to someone else's data.
            if (entity is null || !store.Contains(digest) || !await store.IsVisibleToAsync(digest, caller, cancellationToken))
                throw new OpusValidationException($"input '{slot.Name}': no stored entity {digest}");
            return new JobInput(slot.Name, index, JobInputKind.File, value, digest, entity.Size, entity.FileName, slot.ContentType ?? entity.ContentType);
        }

        if (slot.Url is { Length: > 0 } template)
        {
            string url;
            if (template.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            {
                if (!IsHttpUrl(value))
                    throw new OpusValidationException($"input '{slot.Name}': upload a file (multipart/form-data) or give an http(s) URL");
                url = value;
            }
            else
            {
                url = IsHttpUrl(value) ? value : template.Replace("$ID", Uri.EscapeDataString(value), StringComparison.Ordinal);
            }

            return await DownloadAsync(slot, index, value, url, owner, cancellationToken);
        }

        return value.Contains("//", StringComparison.Ordinal)
            ? new JobInput(slot.Name, index, JobInputKind.External, value)
            : new JobInput(slot.Name, index, JobInputKind.Value, value);
    }

    private async Task<JobInput> DownloadAsync(Slot slot, int index, string value, string url, string? owner, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new OpusValidationException($"input '{slot.Name}': '{url}' is not an http(s) URL");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Inputs.Timeout);
        try
        {
            using var response = await _http.Value.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
                throw new OpusValidationException($"input '{slot.Name}': {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            if (response.Content.Headers.ContentLength > options.Inputs.MaxBytes)
                throw TooLarge(slot);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var limited = new LimitedStream(body, options.Inputs.MaxBytes, () => TooLarge(slot));
            var (sha, size) = await store.AddStreamAsync(limited, timeout.Token);
            var fileName = SafeFileName(response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"') ?? uri.Segments.LastOrDefault(), slot.Name);
            var contentType = slot.ContentType ?? response.Content.Headers.ContentType?.MediaType ?? MediaTypes.Guess(fileName);
            await store.RegisterAsync(sha, size, fileName, contentType, owner, null, cancellationToken);
            return new JobInput(slot.Name, index, JobInputKind.File, value, sha, size, fileName, contentType);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OpusValidationException($"input '{slot.Name}': {uri} did not answer within {options.Inputs.Timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new OpusValidationException($"input '{slot.Name}': {uri} could not be fetched: {e.Message}");
        }
    }

    private OpusValidationException TooLarge(Slot slot) =>
        new($"input '{slot.Name}': larger than the limit of {options.Inputs.MaxBytes} bytes");

    private static IEnumerable<string> Split(Slot slot, string value)
    {
        if (!slot.AllowsMany)
            return [value];
        var parts = value.Contains(',') ? value.Split(',') : value.Split((char[]?)null);
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0);
    }

    /// <summary>The digest named by a value: a bare digest, opus_store:DIGEST, or a store URL with ID=DIGEST.</summary>
    public static string? StoreDigest(string value)
    {
        var match = DigestPattern().Match(value.Trim());
        return match.Success ? match.Groups["d"].Value.ToLowerInvariant() : null;
    }

    [GeneratedRegex(@"^(?:opus_store:|.*/store/?\?ID=|.*/store/)?(?<d>[0-9a-fA-F]{64})$")]
    private static partial Regex DigestPattern();

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    /// <summary>A file name safe in a path and in a space-separated list: letters, digits, '.', '_' and '-'.</summary>
    internal static string SafeFileName(string? name, string fallback)
    {
        var bare = Path.GetFileName(Uri.UnescapeDataString(name ?? "").Trim());
        var safe = new string(bare.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray()).TrimStart('.');
        return safe.Length == 0 ? fallback : safe.Length > 128 ? safe[^128..] : safe;
    }

    private static HttpClient CreateClient(OpusOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            AutomaticDecompression = DecompressionMethods.All,
            // Every connection, redirects included, is checked where it is made: a name that resolves
            // to a private address is refused (no server-side request forgery into the local network).
            ConnectCallback = async (context, cancellationToken) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
                var allowed = addresses.Where(a => options.Inputs.AllowPrivateAddresses || !IsPrivate(a)).ToArray();
                if (allowed.Length == 0)
                    throw new HttpRequestException($"{context.DnsEndPoint.Host} is a private or local address");
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Opus");
        return client;
    }

    internal static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return true;
        if (address.AddressFamily != AddressFamily.InterNetwork)
            return false;
        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127);
    }
}
