using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Helpline.Data.Protection;

public static class EncryptedPropertyExtensions
{
    /// <summary>Stores the property encrypted with the field keys, bound to <paramref name="purpose"/>.</summary>
    public static PropertyBuilder<string?> Encrypted(this PropertyBuilder<string?> property, FieldProtector protector, string purpose) =>
        property.HasConversion(new EncryptedValueConverter(protector, purpose));
}

/// <summary>
/// The converter of an encrypted column. A class of its own so the key tools find every encrypted
/// column in the model (and its purpose) instead of keeping a list that could fall behind.
/// </summary>
public sealed class EncryptedValueConverter(FieldProtector protector, string purpose) : ValueConverter<string?, string?>(
    plain => plain == null ? null : protector.Protect(plain, purpose),
    stored => stored == null ? null : protector.Unprotect(stored, purpose))
{
    public string Purpose { get; } = purpose;
}
