using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Opus.Core.Jobs;

/// <summary>Configuration section Opus:ResultLinks: how long a signed result link lives.</summary>
public sealed class ResultLinkOptions
{
    /// <summary>Lifetime of a link when its creator gives none (seconds).</summary>
    public int DefaultSeconds { get; set; } = 24 * 3600;

    /// <summary>Longest lifetime a creator may ask for (seconds).</summary>
    public int MaxSeconds { get; set; } = 30 * 24 * 3600;
}

/// <summary>
/// Signed result links: an HMAC-SHA256, with a key of this server, of the definition, job id, result name and
/// expiry, so whoever holds the link may read that one result until it expires, without credentials.
/// The key lives in the data folder (0600), created on first use; servers sharing the folder share it.
/// </summary>
public sealed class ResultLinkSigner(OpusOptions options)
{
    public const string KeyFileName = "result-links.key";
    private const int KeyBytes = 32;

    private readonly Lazy<byte[]> _key = new(() => LoadOrCreateKey(Path.Combine(options.FullDataPath, KeyFileName)));

    /// <summary>The signature (base64url) of a link to <paramref name="result"/> valid until <paramref name="expires"/> (Unix seconds).</summary>
    public string Sign(string definition, string id, string result, long expires) =>
        Base64Url.EncodeToString(Mac(definition, id, result, expires));

    /// <summary>Null when the link is valid at <paramref name="now"/>; otherwise the one-line reason it is refused.</summary>
    public string? Refusal(string definition, string id, string result, string? expires, string? signature, DateTimeOffset now)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var until))
            return "the link's exp is not a time in Unix seconds";
        byte[] given;
        try
        {
            given = Base64Url.DecodeFromChars(signature ?? "");
        }
        catch (FormatException)
        {
            return "the link's signature is not valid for this result";
        }

        // Constant time: a wrong guess tells nothing about how much of it was right.
        if (!CryptographicOperations.FixedTimeEquals(given, Mac(definition, id, result, until)))
            return "the link's signature is not valid for this result";
        return now.ToUnixTimeSeconds() >= until ? "the link has expired; ask its owner for a new one" : null;
    }

    // Each part escaped, so no choice of names can make two different links sign the same text.
    private byte[] Mac(string definition, string id, string result, long expires) =>
        HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(string.Join('\n',
            Uri.EscapeDataString(definition), Uri.EscapeDataString(id), Uri.EscapeDataString(result), expires.ToString(CultureInfo.InvariantCulture))));

    private static byte[] LoadOrCreateKey(string path)
    {
        if (!File.Exists(path))
        {
            PrivateFiles.CreateFolder(Path.GetDirectoryName(path)!);
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temporary, RandomNumberGenerator.GetBytes(KeyBytes));
            PrivateFiles.RestrictFile(temporary);
            try
            {
                // Not over a key another server process made meanwhile: the first one made wins.
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temporary);
            }
        }

        var key = File.ReadAllBytes(path);
        return key.Length >= KeyBytes ? key : throw new InvalidOperationException($"the result link key is shorter than {KeyBytes} bytes");
    }
}
