using System.Globalization;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Reports;

/// <summary>
/// The reports' figures, counted by the database over the contacts that arrived on the chosen
/// helpline-local days (the date and hour stored when each contact was written). One aggregate
/// query per table, each read from the reports' covering index; no contact row is loaded.
/// </summary>
public sealed class ReportQueries(HelplineDb db, HelplineTime time, IOptions<ReportOptions> options)
{
    public ReportOptions Thresholds => options.Value;

    /// <summary>The contacts a report covers.</summary>
    public IQueryable<Contact> Contacts(ReportFilter filter)
    {
        var contacts = db.Contacts.AsNoTracking().Where(c => c.LocalDate >= filter.From && c.LocalDate <= filter.To);
        if (filter.Channel is { } channel)
            contacts = contacts.Where(c => c.Channel == channel);
        if (filter.AdvisorId is { } advisor)
            contacts = contacts.Where(c => c.AdvisorId == advisor);
        if (filter.Language is { } language)
            contacts = contacts.Where(c => c.Language == language);
        if (filter.Region is { } region)
            contacts = contacts.Where(c => c.Region == region);
        return contacts;
    }

    public async Task<Report> BuildAsync(ReportFilter filter, CancellationToken cancellationToken = default)
    {
        var contacts = Contacts(filter);
        var thresholdMs = Thresholds.ServiceLevelSeconds * 1000;
        var shortMs = Thresholds.ShortAbandonSeconds * 1000;

        var totals = await contacts.GroupBy(c => 1).Select(g => new Totals(
            g.Count(),
            g.Count(c => c.AnsweredAt != null),
            g.Count(c => c.AnsweredAt != null && c.WaitMilliseconds <= thresholdMs),
            g.Count(c => c.Status == ContactStatus.Abandoned),
            g.Count(c => c.Status == ContactStatus.Abandoned && c.WaitMilliseconds <= shortMs),
            g.Sum(c => c.AnsweredAt != null ? (long)(c.WaitMilliseconds ?? 0) : 0L),
            g.Count(c => c.WrapUpSeconds != null),
            g.Sum(c => c.WrapUpSeconds != null ? (long)(c.TalkSeconds ?? 0) : 0L),
            g.Sum(c => (long)(c.WrapUpSeconds ?? 0)),
            g.Count(c => c.Disposition == Disposition.ReferredToTreatment),
            g.Count(c => c.CrisisTransferredAt != null),
            g.Count(c => c.Status == ContactStatus.TransferredToCrisisLine)))
            .SingleOrDefaultAsync(cancellationToken) ?? new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        var byHour = await Grouped(contacts.GroupBy(c => c.LocalHour), cancellationToken);
        var byDay = await Grouped(contacts.GroupBy(c => c.LocalDayOfWeek), cancellationToken);
        var byChannel = await Grouped(contacts.GroupBy(c => c.Channel), cancellationToken);
        var byDisposition = await Grouped(contacts.Where(c => c.Disposition != null).GroupBy(c => c.Disposition!.Value), cancellationToken);
        var byRegion = await Grouped(contacts.Where(c => c.Region != null).GroupBy(c => c.Region!), cancellationToken);

        return new Report(
            filter,
            Thresholds,
            totals,
            [.. Enumerable.Range(0, 24).Select(h => Find(byHour, h, h.ToString("00", CultureInfo.InvariantCulture) + ":00"))],
            [.. WeekFromMonday.Select(d => Find(byDay, d, CultureInfo.InvariantCulture.DateTimeFormat.GetDayName(d)))],
            [.. Enum.GetValues<ContactChannel>().Select(c => Find(byChannel, c, Words.Channel(c)))],
            [.. byDisposition.OrderByDescending(b => b.Contacts).Select(b => b with { Label = Words.Disposition(Enum.Parse<Disposition>(b.Key)) })],
            [.. byRegion.OrderByDescending(b => b.Contacts).ThenBy(b => b.Key, StringComparer.Ordinal)],
            await CallbacksAsync(contacts, cancellationToken),
            await AdvisorsAsync(filter, contacts, cancellationToken));
    }

    private static readonly DayOfWeek[] WeekFromMonday =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    private static async Task<List<Bucket>> Grouped<TKey>(IQueryable<IGrouping<TKey, Contact>> groups, CancellationToken cancellationToken) where TKey : notnull
    {
        var rows = await groups.Select(g => new
        {
            g.Key,
            Contacts = g.Count(),
            Answered = g.Count(c => c.AnsweredAt != null),
            Abandoned = g.Count(c => c.Status == ContactStatus.Abandoned),
        }).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new Bucket(Convert.ToString(r.Key, CultureInfo.InvariantCulture)!, Convert.ToString(r.Key, CultureInfo.InvariantCulture)!, r.Contacts, r.Answered, r.Abandoned))];
    }

    private static Bucket Find<TKey>(List<Bucket> buckets, TKey key, string label) where TKey : notnull =>
        (buckets.FirstOrDefault(b => b.Key == Convert.ToString(key, CultureInfo.InvariantCulture)) ?? new Bucket(Convert.ToString(key, CultureInfo.InvariantCulture)!, label, 0, 0, 0)) with { Label = label };

    /// <summary>Callbacks asked for by the contacts in the range: how soon after due the caller was first dialled, and how they ended.</summary>
    private async Task<CallbackFigures> CallbacksAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        var callbacks = from callback in db.Callbacks.AsNoTracking()
                        join contact in contacts on callback.ContactId equals contact.Id
                        select callback;
        return await callbacks.GroupBy(c => 1).Select(g => new CallbackFigures(
                g.Count(),
                g.Count(c => c.FirstAttemptAt != null),
                g.Count(c => c.FirstAttemptAt != null && c.FirstAttemptLateSeconds <= 60),
                g.Count(c => c.FirstAttemptAt != null && c.FirstAttemptLateSeconds <= 300),
                g.Count(c => c.Status == CallbackStatus.Completed),
                g.Count(c => c.Status == CallbackStatus.Missed),
                g.Sum(c => c.Attempts)))
            .SingleOrDefaultAsync(cancellationToken) ?? new CallbackFigures(0, 0, 0, 0, 0, 0, 0);
    }

    /// <summary>Per advisor: contacts handled in the range, and staffed time (available, busy, wrap-up) on those days.</summary>
    private async Task<List<AdvisorFigures>> AdvisorsAsync(ReportFilter filter, IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        var handled = await contacts.Where(c => c.AdvisorId != null).GroupBy(c => c.AdvisorId!).Select(g => new
        {
            AdvisorId = g.Key,
            Handled = g.Count(c => c.WrapUpSeconds != null),
            Talk = g.Sum(c => c.WrapUpSeconds != null ? (long)(c.TalkSeconds ?? 0) : 0L),
            WrapUp = g.Sum(c => (long)(c.WrapUpSeconds ?? 0)),
            Referrals = g.Count(c => c.Disposition == Disposition.ReferredToTreatment),
        }).ToListAsync(cancellationToken);

        var spans = db.PresenceSpans.AsNoTracking()
            .Where(p => p.LocalDate >= filter.From && p.LocalDate <= filter.To && Presences.Staffed.Contains(p.Presence));
        if (filter.AdvisorId is { } only)
            spans = spans.Where(p => p.StaffUserId == only);
        var staffed = await spans.Where(p => p.Seconds != null).GroupBy(p => p.StaffUserId)
            .Select(g => new { AdvisorId = g.Key, Seconds = g.Sum(p => (long)p.Seconds!.Value) })
            .ToDictionaryAsync(s => s.AdvisorId, s => s.Seconds, cancellationToken);
        // Spans still open (one per advisor at most) count until now.
        var now = time.UtcNow;
        foreach (var open in await spans.Where(p => p.Until == null).Select(p => new { p.StaffUserId, p.From }).ToListAsync(cancellationToken))
            staffed[open.StaffUserId] = staffed.GetValueOrDefault(open.StaffUserId) + (long)Math.Max(0, (now - open.From).TotalSeconds);

        var ids = handled.Select(h => h.AdvisorId).Union(staffed.Keys).ToList();
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, cancellationToken);
        return [.. ids
            .Select(id => handled.FirstOrDefault(h => h.AdvisorId == id) is { } h
                ? new AdvisorFigures(id, names.GetValueOrDefault(id) ?? "(removed)", h.Handled, h.Talk, h.WrapUp, h.Referrals, staffed.GetValueOrDefault(id))
                : new AdvisorFigures(id, names.GetValueOrDefault(id) ?? "(removed)", 0, 0, 0, 0, staffed.GetValueOrDefault(id)))
            .OrderBy(a => a.Name, StringComparer.CurrentCulture)];
    }
}

/// <summary>The words reports use for stored values.</summary>
public static class Words
{
    public static string Channel(ContactChannel channel) => channel switch
    {
        ContactChannel.Phone => "Phone",
        ContactChannel.WebForm => "Web form",
        ContactChannel.Callback => "Callback",
        ContactChannel.Voicemail => "Voicemail",
        _ => channel.ToString(),
    };

    public static string Disposition(Disposition disposition) => Dashboard.IndexModel.Label(disposition);
}
