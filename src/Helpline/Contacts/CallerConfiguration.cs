using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Contacts;

internal sealed class CallerConfiguration : IEntityTypeConfiguration<Caller>
{
    public void Configure(EntityTypeBuilder<Caller> caller)
    {
        caller.HasIndex(c => c.PhoneHash).IsUnique();
        caller.Property(c => c.PhoneHash).HasMaxLength(64);
        caller.Property(c => c.TimeZone).HasMaxLength(64);
    }
}
