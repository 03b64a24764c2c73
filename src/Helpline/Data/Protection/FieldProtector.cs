using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Helpline.Data.Protection;

/// <summary>
/// Authenticated encryption (AES-256-GCM) of single fields. A stored value reads
/// <c>hx1.{keyId}.{base64url(nonce | ciphertext | tag)}</c>: it names its key, so keys can rotate,
/// and the column it belongs to is bound in as associated data, so a value cannot be moved to
/// another column unnoticed.
/// </summary>
public sealed class FieldProtector(FieldKeyRing keys)
{
    private const string Prefix = "hx1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public FieldKeyRing Keys { get; } = keys;

    public string Protect(string plaintext, string purpose)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Keys.CurrentKey, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), AssociatedData(Keys.CurrentKeyId, purpose));
        return Prefix + Keys.CurrentKeyId + "." + Base64Url.EncodeToString(output);
    }

    public string Unprotect(string stored, string purpose)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
            throw new CryptographicException($"A value in {purpose} is not in the encrypted format.");
        var dot = stored.IndexOf('.', Prefix.Length);
        if (dot < 0)
            throw new CryptographicException($"A value in {purpose} has no key id.");
        var keyId = stored[Prefix.Length..dot];
        if (!Keys.TryGetKey(keyId, out var key))
            throw new CryptographicException($"A value in {purpose} was encrypted with key '{keyId}', which is not configured. Restore that key (see README, \"Keys\").");

        var data = Base64Url.DecodeFromChars(stored.AsSpan(dot + 1));
        if (data.Length < NonceSize + TagSize)
            throw new CryptographicException($"A value in {purpose} is truncated.");
        var cipherLength = data.Length - NonceSize - TagSize;
        var plain = new byte[cipherLength];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, cipherLength), data.AsSpan(NonceSize + cipherLength), plain, AssociatedData(keyId, purpose));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Key id of an encrypted value, for re-encryption after a key rotation.</summary>
    public static string? KeyIdOf(string stored) =>
        stored.StartsWith(Prefix, StringComparison.Ordinal) && stored.IndexOf('.', Prefix.Length) is var dot and > 0
            ? stored[Prefix.Length..dot]
            : null;

    /// <summary>
    /// Keyed hash of a normalized phone number (blind index): equal numbers give equal hashes, but
    /// the hash reveals nothing without the key. Callers are looked up by it.
    /// </summary>
    public string BlindIndex(string e164)
    {
        var hash = HMACSHA256.HashData(Keys.BlindIndexKey, Encoding.UTF8.GetBytes("phone:" + e164));
        return Convert.ToBase64String(hash);
    }

    /// <summary>
    /// Keyed hash of a client's network address, the same on every node: enough to count one
    /// address's chats and messages against their limits, useless for finding the address.
    /// </summary>
    public string AddressIndex(string address) =>
        Convert.ToBase64String(HMACSHA256.HashData(Keys.BlindIndexKey, Encoding.UTF8.GetBytes("address:" + address)));

    private static byte[] AssociatedData(string keyId, string purpose) => Encoding.UTF8.GetBytes(keyId + "|" + purpose);
}
