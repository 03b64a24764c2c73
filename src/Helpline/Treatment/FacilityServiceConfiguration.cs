using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Treatment;

internal sealed class FacilityServiceConfiguration : IEntityTypeConfiguration<FacilityService>
{
    public void Configure(EntityTypeBuilder<FacilityService> service)
    {
        service.HasKey(s => new { s.FacilityId, s.Code });
        service.Property(s => s.Code).HasMaxLength(16);
        // A service search is an index lookup by code.
        service.HasIndex(s => new { s.Code, s.FacilityId });
    }
}
