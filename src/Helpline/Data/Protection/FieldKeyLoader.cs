namespace Helpline.Data.Protection;

public sealed class EncryptionOptions
{
    /// <summary>Path of the JSON key file; relative paths are under the data directory (default <c>keys/field-keys.json</c> there).</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// Create the key file with fresh keys when it is missing. Honoured in Development only: in
    /// production a missing key file is far more likely a wrong path than a new installation, and
    /// fresh keys would make the existing caller data unreadable.
    /// </summary>
    public bool CreateKeyFileIfMissing { get; set; }

    /// <summary>Keys given in configuration (e.g. <c>Encryption__Keys__k2026=base64</c>); merged with the file's.</summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    public string? CurrentKeyId { get; set; }
    public string? BlindIndexKey { get; set; }
}

/// <summary>Loads the field keys at start, refusing to run without them rather than inventing new ones.</summary>
public static class FieldKeyLoader
{
    public static FieldKeyRing Load(EncryptionOptions options, DataDirectory data, IHostEnvironment environment, ILogger logger)
    {
        var configured = options.Keys.Where(k => !string.IsNullOrWhiteSpace(k.Value)).ToDictionary();
        FieldKeyRing? fromFile = null;
        var path = KeyFilePath(options, data);
        if (path is not null)
        {
            if (File.Exists(path))
            {
                fromFile = FieldKeyRing.FromJson(File.ReadAllText(path), path);
            }
            else if (options.CreateKeyFileIfMissing && environment.IsDevelopment() && configured.Count == 0)
            {
                fromFile = FieldKeyRing.Generate();
                Write(fromFile, path);
                logger.LogWarning("Created a new field-encryption key file at {KeyFile}. Back it up: without it the caller data in this database cannot be read.", path);
            }
        }

        if (fromFile is null && configured.Count == 0)
        {
            throw new InvalidOperationException(
                "No field-encryption keys are configured, so caller data could not be protected. " +
                "Set Encryption:KeyFile to an existing key file, or Encryption:Keys:<id>, Encryption:CurrentKeyId and Encryption:BlindIndexKey. " +
                (path is null ? "" : $"The key file {path} does not exist. ") +
                "See README, \"Keys\".");
        }

        var keys = fromFile is null
            ? new Dictionary<string, byte[]>()
            : fromFile.KeyIds.ToDictionary(id => id, id => { fromFile.TryGetKey(id, out var k); return k; });
        foreach (var (id, value) in configured)
            keys[id] = Convert.FromBase64String(value);

        var currentId = options.CurrentKeyId ?? fromFile?.CurrentKeyId
            ?? throw new InvalidOperationException("Encryption:CurrentKeyId is required when keys come from configuration.");
        var blindIndexKey = options.BlindIndexKey is { Length: > 0 } b ? Convert.FromBase64String(b)
            : fromFile?.BlindIndexKey ?? throw new InvalidOperationException("Encryption:BlindIndexKey is required when keys come from configuration.");

        return new FieldKeyRing(currentId, keys, blindIndexKey);
    }

    /// <summary>
    /// The key file's full path: the one configured, or the default in the data directory. Null when
    /// the keys are given in configuration alone (no file named, and the default file absent).
    /// </summary>
    public static string? KeyFilePath(EncryptionOptions options, DataDirectory data) =>
        !string.IsNullOrWhiteSpace(options.KeyFile) ? data.Resolve(options.KeyFile)
        : options.Keys.Values.Any(k => !string.IsNullOrWhiteSpace(k)) && !File.Exists(data.Resolve(DataDirectory.KeyFile)) ? null
        : data.Resolve(DataDirectory.KeyFile);

    /// <summary>
    /// Writes a key file readable by its owner only. It is written beside the old one and then moved
    /// over it, so a crash halfway never leaves a truncated file (and with it unreadable caller data).
    /// </summary>
    public static void Write(FieldKeyRing keys, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".new";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // never readable by others, not even for a moment
        using (var stream = new FileStream(temporary, create))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(keys.ToJson());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}
