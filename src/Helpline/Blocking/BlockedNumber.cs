using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Blocking;

/// <summary>
/// A number a supervisor has blocked for a while, with a reason: its calls hear a polite message
/// (and where to find crisis help) and are not queued. The number itself is kept only as its blind
/// index and its last digits; lifted and expired blocks stay as history.
/// </summary>
public sealed class BlockedNumber
{
    public long Id { get; set; }

    /// <summary>Blind index of the E.164 number, as <see cref="Contacts.Caller.PhoneHash"/>.</summary>
    public required string PhoneHash { get; set; }

    /// <summary>Last four digits, for the list ("•••• 0147").</summary>
    public required string MaskedNumber { get; set; }

    /// <summary>Why, in the supervisor's words (encrypted at rest: it may say more than it should).</summary>
    public required string Reason { get; set; }

    public DateTime BlockedAt { get; set; }

    /// <summary>The block ends at this moment (UTC) unless lifted before.</summary>
    public DateTime Until { get; set; }

    public string? BlockedById { get; set; }
    public string? BlockedByName { get; set; }

    /// <summary>The contact it was blocked from, when a supervisor blocked "this caller" without seeing the number.</summary>
    public long? ContactId { get; set; }

    public DateTime? LiftedAt { get; set; }
    public string? LiftedByName { get; set; }

    public bool IsActive(DateTime now) => LiftedAt is null && Until > now;
}

internal sealed class BlockedNumberConfiguration : IEntityTypeConfiguration<BlockedNumber>
{
    public void Configure(EntityTypeBuilder<BlockedNumber> blocked)
    {
        blocked.Property(b => b.PhoneHash).HasMaxLength(64);
        blocked.Property(b => b.MaskedNumber).HasMaxLength(16);
        blocked.Property(b => b.BlockedById).HasMaxLength(450);
        blocked.Property(b => b.BlockedByName).HasMaxLength(256);
        blocked.Property(b => b.LiftedByName).HasMaxLength(256);
        blocked.HasIndex(b => new { b.PhoneHash, b.Until });
        blocked.HasOne<Contacts.Contact>().WithMany().HasForeignKey(b => b.ContactId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>Whether a number is blocked right now: one indexed lookup by its blind index.</summary>
public static class BlockedNumbers
{
    /// <summary>The block rows in force at <paramref name="now"/>: not lifted and not expired. Every check goes through this.</summary>
    public static IQueryable<BlockedNumber> InForce(this IQueryable<BlockedNumber> blocks, DateTime now) =>
        blocks.Where(b => b.LiftedAt == null && b.Until > now);

    public static Task<bool> IsBlockedAsync(HelplineDb db, string e164, DateTime now)
    {
        var hash = db.Protector.BlindIndex(e164);
        return db.BlockedNumbers.InForce(now).AnyAsync(b => b.PhoneHash == hash);
    }

    /// <summary>Of the blind indexes <paramref name="phoneHashes"/>, those of numbers blocked right now: one query for many numbers.</summary>
    public static async Task<HashSet<string>> BlockedAmongHashesAsync(HelplineDb db, IReadOnlyCollection<string> phoneHashes, DateTime now, CancellationToken cancellationToken = default) =>
        phoneHashes.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : (await db.BlockedNumbers.InForce(now).Where(b => phoneHashes.Contains(b.PhoneHash)).Select(b => b.PhoneHash).ToListAsync(cancellationToken))
                .ToHashSet(StringComparer.Ordinal);

    /// <summary>Of <paramref name="callerIds"/>, those whose number is blocked right now: one query for many callers.</summary>
    public static async Task<HashSet<long>> BlockedAmongAsync(HelplineDb db, IReadOnlyCollection<long> callerIds, DateTime now, CancellationToken cancellationToken = default) =>
        (await db.Callers.AsNoTracking()
            .Where(c => callerIds.Contains(c.Id) && db.BlockedNumbers.InForce(now).Any(b => b.PhoneHash == c.PhoneHash))
            .Select(c => c.Id)
            .ToListAsync(cancellationToken))
        .ToHashSet();

    /// <summary>Whether a known caller's number is blocked right now.</summary>
    public static Task<bool> IsCallerBlockedAsync(HelplineDb db, long callerId, DateTime now, CancellationToken cancellationToken = default) =>
        db.Callers.Where(c => c.Id == callerId)
            .AnyAsync(c => db.BlockedNumbers.InForce(now).Any(b => b.PhoneHash == c.PhoneHash), cancellationToken);
}
