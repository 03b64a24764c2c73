using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Treatment;

internal sealed class FacilityConfiguration : IEntityTypeConfiguration<Facility>
{
    public void Configure(EntityTypeBuilder<Facility> facility)
    {
        // Imports upsert by this key: the same file imported twice adds nothing.
        facility.HasIndex(f => f.Key).IsUnique();
        facility.Property(f => f.Key).HasMaxLength(80);
        facility.Property(f => f.Frid).HasMaxLength(64);
        facility.Property(f => f.Name).HasMaxLength(300);
        facility.Property(f => f.Name2).HasMaxLength(300);
        facility.Property(f => f.Street1).HasMaxLength(300);
        facility.Property(f => f.Street2).HasMaxLength(300);
        facility.Property(f => f.City).HasMaxLength(100);
        facility.Property(f => f.CitySlug).HasMaxLength(100);
        facility.Property(f => f.State).HasMaxLength(2);
        facility.Property(f => f.Zip).HasMaxLength(5);
        facility.Property(f => f.County).HasMaxLength(100);
        facility.Property(f => f.Phone).HasMaxLength(40);
        facility.Property(f => f.IntakePhone).HasMaxLength(40);
        facility.Property(f => f.Website).HasMaxLength(500);
        facility.Property(f => f.TypeFacility).HasMaxLength(16);
        facility.Property(f => f.HiddenReason).HasMaxLength(500);
        facility.Property(f => f.Source).HasMaxLength(300);
        facility.Property(f => f.ContentHash).HasMaxLength(64);
        // Searches by place: city pages and city search, state (in name order), ZIP, and the distance
        // search's bounding box; a nationwide service search walks names in order and stops early.
        facility.HasIndex(f => new { f.State, f.CitySlug });
        facility.HasIndex(f => new { f.State, f.Name });
        facility.HasIndex(f => f.Name);
        facility.HasIndex(f => f.Zip);
        facility.HasIndex(f => new { f.Latitude, f.Longitude });
        facility.HasMany(f => f.Services).WithOne().HasForeignKey(s => s.FacilityId).OnDelete(DeleteBehavior.Cascade);
    }
}
