using System.Security.Cryptography;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// RFC 6238 time-based one-time passwords, written out here as an authenticator app computes them
/// (HMAC-SHA1, 30-second steps, 6 digits), from the Base32 key the enrolment page shows.
/// </summary>
public static class Totp
{
    public static string Code(string base32Key, DateTimeOffset at) => Code(Base32(base32Key), at.ToUnixTimeSeconds() / 30, 6);

    public static string Code(byte[] key, long step, int digits)
    {
        var counter = new byte[8];
        for (var i = 7; i >= 0; i--, step >>= 8)
            counter[i] = (byte)step;
        var hash = HMACSHA1.HashData(key, counter);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % (int)Math.Pow(10, digits)).ToString("D" + digits);
    }

    /// <summary>RFC 4648 Base32, ignoring spaces and case (the page shows the key in groups of four).</summary>
    public static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = 0;
        var value = 0;
        var bytes = new List<byte>();
        foreach (var c in text.ToUpperInvariant().Where(c => c is not (' ' or '=')))
        {
            value = (value << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(value >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
