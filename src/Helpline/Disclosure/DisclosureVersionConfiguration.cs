using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Disclosure;

internal sealed class DisclosureVersionConfiguration : IEntityTypeConfiguration<DisclosureVersion>
{
    public void Configure(EntityTypeBuilder<DisclosureVersion> disclosure)
    {
        disclosure.HasKey(d => d.Version);
        disclosure.Property(d => d.Version).HasMaxLength(64);
    }
}
