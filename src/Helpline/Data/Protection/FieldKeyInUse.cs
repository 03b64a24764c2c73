using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Data.Protection;

/// <summary>
/// A field key that may have encrypted values in this database. Every start records the current key
/// before anything is written, so the keys that wrote values are always among these; when each of them
/// is configured, the start-up check needs no scan of the encrypted columns. The list can only name too
/// many keys (one since re-encrypted away), which sends the check back to a scan that corrects it.
/// </summary>
public sealed class FieldKeyInUse
{
    public required string KeyId { get; set; }

    public DateTime RecordedAt { get; set; }
}

internal sealed class FieldKeyInUseConfiguration : IEntityTypeConfiguration<FieldKeyInUse>
{
    public void Configure(EntityTypeBuilder<FieldKeyInUse> key)
    {
        key.ToTable("FieldKeysInUse");
        key.HasKey(k => k.KeyId);
        key.Property(k => k.KeyId).HasMaxLength(64);
    }
}
