using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Callbacks;

internal sealed class CallbackConfiguration : IEntityTypeConfiguration<Callback>
{
    public void Configure(EntityTypeBuilder<Callback> callback)
    {
        callback.HasOne(c => c.Contact).WithMany().OnDelete(DeleteBehavior.Restrict);
        callback.HasOne(c => c.Caller).WithMany().OnDelete(DeleteBehavior.Restrict);
        callback.Property(c => c.TimeZone).HasMaxLength(64);
        callback.Property(c => c.JobId).HasMaxLength(64);
        callback.HasIndex(c => new { c.Status, c.DueAt });
        callback.HasIndex(c => c.CallerId);
        // The reports count a day's callbacks from here (see ReportQueries.CountAsync).
        callback.HasIndex(c => c.CreatedAt);
    }
}
