using Helpline.Disclosure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Contacts;

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> contact)
    {
        // One contact per inbound call however often Twilio retries: the database settles it.
        contact.HasIndex(c => c.CallSid).IsUnique();
        contact.Property(c => c.CallSid).HasMaxLength(34);
        contact.Property(c => c.Region).HasMaxLength(64);
        contact.Property(c => c.DisclosureVersion).HasMaxLength(64);
        contact.Property(c => c.RecordingSid).HasMaxLength(34);
        contact.Property(c => c.AdvisorCallSid).HasMaxLength(34);
        contact.Property(c => c.TransferCallSid).HasMaxLength(34);
        contact.Property(c => c.CalleeCallSid).HasMaxLength(34);
        contact.HasIndex(c => c.CalleeCallSid);
        contact.HasIndex(c => c.AdvisorCallSid);
        contact.HasIndex(c => new { c.Status, c.Priority, c.QueuedAt });
        contact.HasIndex(c => new { c.LocalDate, c.Channel });
        // Which days changed since the reports counted them: the latest change and the count per day, from the index alone.
        contact.HasIndex(c => new { c.LocalDate, c.UpdatedAt });
        // Reports count contacts over a range of local days: this index holds every column they read,
        // so a year of contacts is counted from the index alone, never from the wide rows.
        contact.HasIndex(c => new
        {
            c.LocalDate, c.Channel, c.Status, c.Language, c.AdvisorId, c.LocalHour, c.LocalDayOfWeek, c.Disposition,
            c.AnsweredAt, c.WaitMilliseconds, c.TalkSeconds, c.WrapUpSeconds, c.CrisisTransferredAt, c.Region,
        }, "IX_Contacts_Reports");
        contact.HasIndex(c => c.CallerId);
        // The retention job's search: contacts not yet anonymized, oldest first.
        contact.HasIndex(c => new { c.AnonymizedAt, c.CreatedAt });
        contact.HasOne(c => c.Caller).WithMany().OnDelete(DeleteBehavior.Restrict);
        contact.HasOne(c => c.Advisor).WithMany().HasForeignKey(c => c.AdvisorId).OnDelete(DeleteBehavior.Restrict);
        contact.HasOne<DisclosureVersion>().WithMany().HasForeignKey(c => c.DisclosureVersion).OnDelete(DeleteBehavior.Restrict);
    }
}
