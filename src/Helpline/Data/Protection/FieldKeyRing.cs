using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Helpline.Data.Protection;

/// <summary>
/// The keys that protect caller data at rest: data keys (by id, one current) for AES-GCM, and a
/// separate key for the phone-number blind index. They live outside the database: in a key file,
/// in configuration (environment variables), or both.
/// </summary>
public sealed class FieldKeyRing
{
    private readonly Dictionary<string, byte[]> _keys;

    public FieldKeyRing(string currentKeyId, IReadOnlyDictionary<string, byte[]> keys, byte[] blindIndexKey)
    {
        if (!keys.ContainsKey(currentKeyId))
            throw new InvalidOperationException($"The current field-encryption key '{currentKeyId}' is not among the configured keys.");
        foreach (var (id, key) in keys)
        {
            if (key.Length != 32)
                throw new InvalidOperationException($"Field-encryption key '{id}' must be 32 bytes (base64 of 256 random bits).");
            if (id.Length is 0 or > 32 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                throw new InvalidOperationException($"Field-encryption key id '{id}' must be 1-32 letters, digits, '-' or '_'.");
        }
        if (blindIndexKey.Length < 32)
            throw new InvalidOperationException("The blind-index key must be at least 32 bytes.");

        CurrentKeyId = currentKeyId;
        _keys = new Dictionary<string, byte[]>(keys, StringComparer.Ordinal);
        BlindIndexKey = blindIndexKey;
    }

    public string CurrentKeyId { get; }
    public byte[] CurrentKey => _keys[CurrentKeyId];
    public byte[] BlindIndexKey { get; }
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public bool TryGetKey(string id, out byte[] key) => _keys.TryGetValue(id, out key!);

    /// <summary>
    /// A digest of everything in the ring (ids, keys, the current id, the blind-index key): equal for
    /// rings that encrypt and read alike, so the database model built for one serves the other.
    /// </summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string? _fingerprint;

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(ReadOnlySpan<byte> part)
        {
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            hash.AppendData(length);
            hash.AppendData(part);
        }
        Add(Encoding.UTF8.GetBytes(CurrentKeyId));
        foreach (var (id, key) in _keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            Add(Encoding.UTF8.GetBytes(id));
            Add(key);
        }
        Add(BlindIndexKey);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public static FieldKeyRing Generate()
    {
        var id = "k" + DateTime.UtcNow.ToString("yyyyMMdd");
        return new FieldKeyRing(id, new Dictionary<string, byte[]> { [id] = RandomNumberGenerator.GetBytes(32) }, RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>
    /// This ring with a fresh random key added and made current; every old key is kept, so values
    /// written under them still read. The id is <c>k</c> and the date, with a letter when that is taken.
    /// </summary>
    public FieldKeyRing WithNewCurrentKey(DateTime today)
    {
        var id = "k" + today.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        for (var suffix = 'b'; _keys.ContainsKey(id); suffix++)
            id = "k" + today.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + suffix;
        return new FieldKeyRing(id, new Dictionary<string, byte[]>(_keys) { [id] = RandomNumberGenerator.GetBytes(32) }, BlindIndexKey);
    }

    public string ToJson() => JsonSerializer.Serialize(new KeyFile
    {
        CurrentKeyId = CurrentKeyId,
        Keys = _keys.ToDictionary(k => k.Key, k => Convert.ToBase64String(k.Value)),
        BlindIndexKey = Convert.ToBase64String(BlindIndexKey),
    }, KeyFileJson.Default.KeyFile);

    public static FieldKeyRing FromJson(string json, string source)
    {
        var file = JsonSerializer.Deserialize(json, KeyFileJson.Default.KeyFile)
            ?? throw new InvalidOperationException($"The key file {source} is empty.");
        if (file.CurrentKeyId is null || file.Keys is null || file.BlindIndexKey is null)
            throw new InvalidOperationException($"The key file {source} must have currentKeyId, keys and blindIndexKey.");
        return new FieldKeyRing(
            file.CurrentKeyId,
            file.Keys.ToDictionary(k => k.Key, k => Convert.FromBase64String(k.Value)),
            Convert.FromBase64String(file.BlindIndexKey));
    }

    internal sealed class KeyFile
    {
        public string? CurrentKeyId { get; set; }
        public Dictionary<string, string>? Keys { get; set; }
        public string? BlindIndexKey { get; set; }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FieldKeyRing.KeyFile))]
internal sealed partial class KeyFileJson : JsonSerializerContext;
