using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Blocking;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data.Protection;
using Helpline.Treatment;
using Helpline.Disclosure;
using Helpline.Queue;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Helpline.Data;

/// <summary>
/// The helpline's database: the source of truth for every contact and callback. The app asks for
/// this type; one subclass per provider (<see cref="SqliteHelplineDb"/>, <see cref="PostgresHelplineDb"/>)
/// carries that provider's migrations, as EF Core recommends. Each feature maps its own entities with
/// an <see cref="IEntityTypeConfiguration{TEntity}"/> next to them (<c>Contacts/ContactConfiguration.cs</c>);
/// every one in this assembly is applied here. Add a migration to both:
/// <code>
/// dotnet ef migrations add NAME --project src/Helpline --context SqliteHelplineDb --output-dir Data/Migrations/Sqlite
/// dotnet ef migrations add NAME --project src/Helpline --context PostgresHelplineDb --output-dir Data/Migrations/Postgres
/// </code>
/// </summary>
public abstract class HelplineDb(DbContextOptions options, FieldProtector protector)
    : IdentityDbContext<StaffUser>(options), IDataProtectionKeyContext
{
    public FieldProtector Protector { get; } = protector;

    public DbSet<Caller> Callers => Set<Caller>();
    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<Consent> Consents => Set<Consent>();
    public DbSet<Callback> Callbacks => Set<Callback>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<QueueChange> QueueChanges => Set<QueueChange>();
    public DbSet<PresenceSpan> PresenceSpans => Set<PresenceSpan>();
    public DbSet<Reports.ReportCount> ReportCounts => Set<Reports.ReportCount>();
    public DbSet<Reports.ReportDay> ReportDays => Set<Reports.ReportDay>();
    public DbSet<DisclosureVersion> DisclosureVersions => Set<DisclosureVersion>();
    public DbSet<Facility> Facilities => Set<Facility>();
    public DbSet<FacilityService> FacilityServices => Set<FacilityService>();
    public DbSet<Referral> Referrals => Set<Referral>();
    public DbSet<BlockedNumber> BlockedNumbers => Set<BlockedNumber>();
    public DbSet<Chat.Conversation> Conversations => Set<Chat.Conversation>();
    public DbSet<Chat.ChatMessage> ChatMessages => Set<Chat.ChatMessage>();
    public DbSet<Chat.MessageMedia> MessageMedia => Set<Chat.MessageMedia>();
    public DbSet<Chat.RiskPhraseEdit> RiskPhraseEdits => Set<Chat.RiskPhraseEdit>();

    /// <summary>Texts at Twilio that no conversation keeps, to delete there a day later (see <see cref="Messages.TextAtTwilio"/>).</summary>
    public DbSet<Messages.TextAtTwilio> TextsAtTwilio => Set<Messages.TextAtTwilio>();

    /// <summary>Staff sign-ins, one row each; the staff cookie holds only the key (see <see cref="StaffSignInStore"/>).</summary>
    public DbSet<StaffSignIn> StaffSignIns => Set<StaffSignIn>();

    /// <summary>The field keys that may have encrypted values here (see <see cref="Protection.FieldKeyInUse"/>).</summary>
    public DbSet<Protection.FieldKeyInUse> FieldKeysInUse => Set<Protection.FieldKeyInUse>();

    /// <summary>ASP.NET Data Protection's key ring, shared by every app node (see InfrastructureExtensions).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(HelplineDb).Assembly);

        builder.Entity<Caller>(caller =>
        {
            caller.Property(c => c.PhoneNumber).Encrypted(Protector, "Caller.PhoneNumber");
            caller.Property(c => c.Name).Encrypted(Protector, "Caller.Name");
            caller.Property(c => c.AlternatePhoneNumber).Encrypted(Protector, "Caller.AlternatePhoneNumber");
        });
        builder.Entity<Contact>(contact =>
        {
            contact.Property(c => c.Notes).Encrypted(Protector, "Contact.Notes");
            contact.Property(c => c.WrapUpDraft).Encrypted(Protector, "Contact.WrapUpDraft");
            contact.Property(c => c.RecordingUrl).Encrypted(Protector, "Contact.RecordingUrl");
        });
        builder.Entity<Chat.Conversation>().Property(c => c.Nickname).Encrypted(Protector, "Conversation.Nickname");
        builder.Entity<Chat.ChatMessage>().Property(m => m.Body).Encrypted(Protector, "ChatMessage.Body");
        builder.Entity<Chat.MessageMedia>().Property(m => m.Url).Encrypted(Protector, "MessageMedia.Url");
        builder.Entity<BlockedNumber>().Property<string?>(nameof(BlockedNumber.Reason)).Encrypted(Protector, "BlockedNumber.Reason");
        // Staff's authenticator keys and recovery codes: a copy of the database must not let anyone
        // make their two-factor codes.
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<string>>().Property(t => t.Value).Encrypted(Protector, "StaffToken.Value");
    }

    /// <summary>
    /// Every time is UTC; SQLite forgets the kind, so it is put back on reading. PostgreSQL stores
    /// them as <c>timestamp with time zone</c>, which takes only UTC values: an unspecified kind is UTC.
    /// </summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        configuration.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configuration.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
        value => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc),
        value => DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAuditRewrites();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAuditRewrites();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void RefuseAuditRewrites()
    {
        if (ChangeTracker.Entries<AuditEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("The audit trail is append-only.");
    }
}

/// <summary>The SQLite database (the single-machine default); its migrations are in Data/Migrations/Sqlite.</summary>
public sealed class SqliteHelplineDb(DbContextOptions<SqliteHelplineDb> options, FieldProtector protector) : HelplineDb(options, protector);

/// <summary>The PostgreSQL database (several app nodes); its migrations are in Data/Migrations/Postgres.</summary>
public sealed class PostgresHelplineDb(DbContextOptions<PostgresHelplineDb> options, FieldProtector protector) : HelplineDb(options, protector);

/// <summary>
/// The model holds value converters bound to this host's keys, so it is cached per key ring's
/// content rather than once per process: tests run several hosts with different keys side by side,
/// and hosts with the same keys share one model and its compiled queries.
/// </summary>
internal sealed class KeyRingModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        context is HelplineDb db ? (context.GetType(), db.Protector.Keys.Fingerprint, designTime) : (context.GetType(), designTime);
}
