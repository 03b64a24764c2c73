using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Reports;

internal sealed class ReportCountConfiguration : IEntityTypeConfiguration<ReportCount>
{
    public void Configure(EntityTypeBuilder<ReportCount> count)
    {
        count.Property(r => r.Key).HasMaxLength(64);
        count.HasIndex(r => new { r.LocalDate, r.Dimension });
    }
}
