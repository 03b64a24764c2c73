using Helpline.Accounts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Queue;

/// <summary>
/// A stretch of time an advisor spent in one presence, for occupancy in reports. A span is closed
/// when the presence changes, and split at the helpline's local midnight so each row belongs to one
/// local day: a report over any range of days sums whole rows.
/// </summary>
public sealed class PresenceSpan
{
    public long Id { get; set; }
    public required string StaffUserId { get; set; }
    public Presence Presence { get; set; }

    /// <summary>Start (UTC).</summary>
    public DateTime From { get; set; }

    /// <summary>End (UTC); null while it lasts.</summary>
    public DateTime? Until { get; set; }

    /// <summary>Helpline-local date of <see cref="From"/>.</summary>
    public DateOnly LocalDate { get; set; }

    /// <summary>Length once closed.</summary>
    public int? Seconds { get; set; }
}

public static class Presences
{
    /// <summary>Presences in which an advisor is staffed (logged in and not on break): occupancy's denominator.</summary>
    public static readonly Presence[] Staffed = [Presence.Available, Presence.Busy, Presence.WrapUp];

    /// <summary>
    /// Sets an advisor's presence and keeps the spans that reports read. With <paramref name="onlyFrom"/>,
    /// only when the current presence is one of those (a conditional update: the database settles races).
    /// Returns whether it changed. Runs inside the caller's transaction.
    /// </summary>
    public static async Task<bool> SetAsync(HelplineDb db, HelplineTime time, string advisorId, Presence presence, string? reason, DateTime now,
        Presence[]? onlyFrom = null, Presence? notFrom = null)
    {
        var users = db.Users.Where(u => u.Id == advisorId);
        if (onlyFrom is not null)
            users = users.Where(u => onlyFrom.Contains(u.Presence));
        if (notFrom is { } excluded)
            users = users.Where(u => u.Presence != excluded);
        var changed = await users.ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Presence, presence)
            .SetProperty(u => u.PresenceReason, reason)
            .SetProperty(u => u.PresenceChangedAt, now));
        if (changed == 0)
            return false;

        foreach (var open in await db.PresenceSpans.Where(p => p.StaffUserId == advisorId && p.Until == null).ToListAsync())
            Close(db, time, open, now);
        db.PresenceSpans.Add(new PresenceSpan { StaffUserId = advisorId, Presence = presence, From = now, LocalDate = time.Stamp(now).Date });
        await db.SaveChangesAsync();
        return true;
    }

    /// <summary>Ends a span at <paramref name="until"/>, cut at each local midnight it crosses.</summary>
    private static void Close(HelplineDb db, HelplineTime time, PresenceSpan span, DateTime until)
    {
        if (until < span.From)
            until = span.From;
        var current = span;
        while (true)
        {
            var nextMidnight = TimeZoneInfo.ConvertTimeToUtc(current.LocalDate.AddDays(1).ToDateTime(TimeOnly.MinValue), time.Zone);
            if (until <= nextMidnight)
            {
                current.Until = until;
                current.Seconds = (int)(until - current.From).TotalSeconds;
                return;
            }
            current.Until = nextMidnight;
            current.Seconds = (int)(nextMidnight - current.From).TotalSeconds;
            current = new PresenceSpan { StaffUserId = span.StaffUserId, Presence = span.Presence, From = nextMidnight, LocalDate = current.LocalDate.AddDays(1) };
            db.PresenceSpans.Add(current);
        }
    }
}
