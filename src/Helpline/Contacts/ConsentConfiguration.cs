using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Contacts;

internal sealed class ConsentConfiguration : IEntityTypeConfiguration<Consent>
{
    public void Configure(EntityTypeBuilder<Consent> consent)
    {
        consent.HasOne(c => c.Caller).WithMany(c => c.Consents).OnDelete(DeleteBehavior.Cascade);
        consent.HasOne<Contact>().WithMany().HasForeignKey(c => c.ContactId).OnDelete(DeleteBehavior.Restrict);
        consent.Property(c => c.TextVersion).HasMaxLength(64);
        consent.HasIndex(c => new { c.CallerId, c.Kind, c.RecordedAt });
    }
}
