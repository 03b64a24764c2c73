using Helpline.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Queue;

internal sealed class PresenceSpanConfiguration : IEntityTypeConfiguration<PresenceSpan>
{
    public void Configure(EntityTypeBuilder<PresenceSpan> span)
    {
        span.HasOne<StaffUser>().WithMany().HasForeignKey(p => p.StaffUserId).OnDelete(DeleteBehavior.Restrict);
        span.HasIndex(p => new { p.StaffUserId, p.Until });
        span.HasIndex(p => new { p.LocalDate, p.StaffUserId, p.Presence, p.Seconds });
    }
}
