using System.Security.Cryptography;
using System.Text;

namespace Opus.Core.Users;

/// <summary>API tokens: "opus_" and 32 random base32 characters (160 bits); stored as SHA-256.</summary>
public static class TokenFormat
{
    public const string Prefix = "opus_";

    public static string NewToken()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bytes = RandomNumberGenerator.GetBytes(20);
        var chars = new char[32];
        for (var i = 0; i < 32; i++)
        {
            var bit = i * 5;
            var value = (bytes[bit / 8] << 8 | (bit / 8 + 1 < bytes.Length ? bytes[bit / 8 + 1] : 0)) >> (11 - bit % 8) & 31;
            chars[i] = alphabet[value];
        }

        return Prefix + new string(chars);
    }

    /// <summary>A fast hash is right here: tokens are long random secrets, not passwords.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
