using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Queue;

internal sealed class QueueChangeConfiguration : IEntityTypeConfiguration<QueueChange>
{
    public void Configure(EntityTypeBuilder<QueueChange> change)
    {
        change.HasKey(c => c.Version);
        change.Property(c => c.Version).ValueGeneratedOnAdd();
        change.Property(c => c.Kind).HasMaxLength(32);
    }
}
