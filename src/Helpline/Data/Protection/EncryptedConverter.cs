using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Helpline.Data.Protection;

public static class EncryptedPropertyExtensions
{
    /// <summary>Stores the property encrypted with the field keys, bound to <paramref name="purpose"/>.</summary>
    public static PropertyBuilder<string?> Encrypted(this PropertyBuilder<string?> property, FieldProtector protector, string purpose) =>
        property.HasConversion(new ValueConverter<string?, string?>(
            plain => plain == null ? null : protector.Protect(plain, purpose),
            stored => stored == null ? null : protector.Unprotect(stored, purpose)));
}
