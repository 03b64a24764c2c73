using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.TreatmentDirectory;
using Helpline.Disclosure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Data;

internal sealed class CallerConfiguration : IEntityTypeConfiguration<Caller>
{
    public void Configure(EntityTypeBuilder<Caller> caller)
    {
        caller.HasIndex(c => c.PhoneHash).IsUnique();
        caller.Property(c => c.PhoneHash).HasMaxLength(64);
        caller.Property(c => c.TimeZone).HasMaxLength(64);
    }
}

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

internal sealed class PresenceSpanConfiguration : IEntityTypeConfiguration<PresenceSpan>
{
    public void Configure(EntityTypeBuilder<PresenceSpan> span)
    {
        span.HasOne<StaffUser>().WithMany().HasForeignKey(p => p.StaffUserId).OnDelete(DeleteBehavior.Restrict);
        span.HasIndex(p => new { p.StaffUserId, p.Until });
        span.HasIndex(p => new { p.LocalDate, p.StaffUserId, p.Presence, p.Seconds });
    }
}

internal sealed class ReportCountConfiguration : IEntityTypeConfiguration<Reports.ReportCount>
{
    public void Configure(EntityTypeBuilder<Reports.ReportCount> count)
    {
        count.Property(r => r.Key).HasMaxLength(64);
        count.HasIndex(r => new { r.LocalDate, r.Dimension });
    }
}

internal sealed class ReportDayConfiguration : IEntityTypeConfiguration<Reports.ReportDay>
{
    public void Configure(EntityTypeBuilder<Reports.ReportDay> day) => day.HasKey(d => d.LocalDate);
}

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

internal sealed class StaffUserConfiguration : IEntityTypeConfiguration<StaffUser>
{
    public void Configure(EntityTypeBuilder<StaffUser> user)
    {
        user.Property(u => u.DisplayName).HasMaxLength(100);
        user.Property(u => u.PresenceReason).HasMaxLength(100);
        user.Property(u => u.DialNumber).HasMaxLength(32);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> audit)
    {
        audit.Property(a => a.Action).HasMaxLength(64);
        audit.Property(a => a.UserName).HasMaxLength(256);
        audit.Property(a => a.Details).HasMaxLength(1000);
        audit.HasIndex(a => a.At);
        audit.HasIndex(a => new { a.ContactId, a.At });
    }
}

internal sealed class QueueChangeConfiguration : IEntityTypeConfiguration<QueueChange>
{
    public void Configure(EntityTypeBuilder<QueueChange> change)
    {
        change.HasKey(c => c.Version);
        change.Property(c => c.Version).ValueGeneratedOnAdd();
        change.Property(c => c.Kind).HasMaxLength(32);
    }
}

internal sealed class DisclosureVersionConfiguration : IEntityTypeConfiguration<DisclosureVersion>
{
    public void Configure(EntityTypeBuilder<DisclosureVersion> disclosure)
    {
        disclosure.HasKey(d => d.Version);
        disclosure.Property(d => d.Version).HasMaxLength(64);
    }
}

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
