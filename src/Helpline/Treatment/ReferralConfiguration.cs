using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Treatment;

internal sealed class ReferralConfiguration : IEntityTypeConfiguration<Referral>
{
    public void Configure(EntityTypeBuilder<Referral> referral)
    {
        referral.HasOne(r => r.Contact).WithMany().HasForeignKey(r => r.ContactId).OnDelete(DeleteBehavior.Restrict);
        referral.HasOne(r => r.Facility).WithMany().HasForeignKey(r => r.FacilityId).OnDelete(DeleteBehavior.Restrict);
        referral.HasOne(r => r.Advisor).WithMany().HasForeignKey(r => r.AdvisorId).OnDelete(DeleteBehavior.Restrict);
        referral.Property(r => r.TransferCallSid).HasMaxLength(34);
        referral.HasIndex(r => r.ContactId);
        referral.HasIndex(r => r.TransferCallSid);
        referral.HasIndex(r => new { r.LocalDate, r.How });
    }
}
