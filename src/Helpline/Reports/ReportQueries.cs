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

    /// <summary>
    /// The version of the counting rules in <see cref="CountAsync"/>. Raise it with any change to what
    /// a figure counts: every kept day counted under another version is recounted when next read.
    /// 2: a caller who pressed 9 is no longer also counted as an advisor's crisis transfer.
    /// 3: chats' time to first reply, and how many chats each advisor held at once.
    /// </summary>
    public const int FormulasVersion = 3;

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

    /// <summary>
    /// Counts for the report's days: past days from the kept per-day counts (recounted first where a
    /// contact of that day changed since), today live. A filter by advisor or region, which the
    /// kept counts do not carry, counts the whole range live.
    /// </summary>
    public async Task<Report> BuildAsync(ReportFilter filter, CancellationToken cancellationToken = default)
    {
        var today = time.Stamp(time.UtcNow).Date;
        var rows = new List<ReportCount>();
        if (filter.AdvisorId is null && filter.Region is null)
        {
            var lastKept = filter.To < today ? filter.To : today.AddDays(-1);
            if (filter.From <= lastKept)
            {
                await RefreshAsync(filter.From, lastKept, cancellationToken);
                rows.AddRange(await KeptAsync(filter, lastKept, cancellationToken));
            }
            if (filter.To >= today)
            {
                var from = filter.From > today ? filter.From : today;
                rows.AddRange(await CountAsync(Contacts(filter with { From = from }), from, cancellationToken));
            }
        }
        else
        {
            rows.AddRange(await CountAsync(Contacts(filter), filter.From, cancellationToken));
        }
        return new Report(
            filter,
            Thresholds,
            TotalsOf(rows.Where(r => r.Dimension == CountDimension.Hour)),
            [.. Enumerable.Range(0, 24).Select(h => BucketOf(rows, CountDimension.Hour, r => r.Key == h.ToString(CultureInfo.InvariantCulture), h.ToString(CultureInfo.InvariantCulture), h.ToString("00", CultureInfo.InvariantCulture) + ":00"))],
            [.. WeekFromMonday.Select(d => BucketOf(rows, CountDimension.Hour, r => r.LocalDayOfWeek == d, d.ToString(), CultureInfo.InvariantCulture.DateTimeFormat.GetDayName(d)))],
            [.. Enum.GetValues<ContactChannel>().Select(c => BucketOf(rows, CountDimension.Hour, r => r.Channel == c, c.ToString(), Words.Channel(c)))],
            [.. Keys(rows, CountDimension.Disposition).Select(k => BucketOf(rows, CountDimension.Disposition, r => r.Key == k, k, Words.Disposition(Enum.Parse<Disposition>(k))))
                .OrderByDescending(b => b.Contacts).ThenBy(b => b.Label, StringComparer.Ordinal)],
            [.. Keys(rows, CountDimension.Region).Select(k => BucketOf(rows, CountDimension.Region, r => r.Key == k, k, k))
                .OrderByDescending(b => b.Contacts).ThenBy(b => b.Key, StringComparer.Ordinal)],
            CallbacksOf(rows.Where(r => r.Dimension == CountDimension.Callbacks)),
            await AdvisorsAsync(filter, rows.Where(r => r.Dimension == CountDimension.Advisor), rows.Where(r => r.Dimension == CountDimension.ChatLoad), cancellationToken));
    }

    private static readonly DayOfWeek[] WeekFromMonday =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    private static IEnumerable<string> Keys(List<ReportCount> rows, CountDimension dimension) =>
        rows.Where(r => r.Dimension == dimension).Select(r => r.Key).Distinct(StringComparer.Ordinal);

    private static Bucket BucketOf(List<ReportCount> rows, CountDimension dimension, Func<ReportCount, bool> match, string key, string label)
    {
        var matching = rows.Where(r => r.Dimension == dimension && match(r)).ToList();
        return new Bucket(key, label, matching.Sum(r => r.Contacts), matching.Sum(r => r.Answered), matching.Sum(r => r.Abandoned),
            matching.Sum(r => r.Handled), matching.Sum(r => r.TalkSeconds + r.WrapUpSeconds), matching.Sum(r => r.FirstReplies), matching.Sum(r => r.FirstReplyMilliseconds));
    }

    private static Totals TotalsOf(IEnumerable<ReportCount> hours)
    {
        var h = hours.ToList();
        return new Totals(h.Sum(r => r.Contacts), h.Sum(r => r.Answered), h.Sum(r => r.AnsweredWithinThreshold), h.Sum(r => r.Abandoned), h.Sum(r => r.ShortAbandoned),
            h.Sum(r => r.AnsweredWaitMilliseconds), h.Sum(r => r.Handled), h.Sum(r => r.TalkSeconds), h.Sum(r => r.WrapUpSeconds), h.Sum(r => r.Referrals),
            h.Sum(r => r.CrisisTransfersByAdvisor), h.Sum(r => r.CrisisLineFromMenu));
    }

    private static CallbackFigures CallbacksOf(IEnumerable<ReportCount> callbacks)
    {
        var c = callbacks.ToList();
        return new CallbackFigures(c.Sum(r => r.Callbacks), c.Sum(r => r.CallbacksPlaced), c.Sum(r => r.CallbacksWithinOneMinute), c.Sum(r => r.CallbacksWithinFiveMinutes),
            c.Sum(r => r.CallbacksCompleted), c.Sum(r => r.CallbacksMissed), c.Sum(r => r.CallbackAttempts));
    }

    /// <summary>
    /// The counts of a set of contacts, none of a local day before <paramref name="from"/>, per day,
    /// channel and language: by hour (every measure), by disposition, region and advisor, and their
    /// callbacks. Five grouped queries; the database counts.
    /// </summary>
    public async Task<List<ReportCount>> CountAsync(IQueryable<Contact> contacts, DateOnly from, CancellationToken cancellationToken = default)
    {
        // A callback is made after its contact, and a contact of a local day after that day began (the
        // noon before is safely earlier, whatever the clocks do): a bound on the callbacks' index that
        // changes no count, so a few hours' contacts are not joined with every callback ever made.
        var callbacksFrom = TimeZoneInfo.ConvertTimeToUtc(from.AddDays(-1).ToDateTime(new TimeOnly(12, 0)), time.Zone);
        var rows = new List<ReportCount>();
        rows.AddRange(await ByHourAsync(contacts, cancellationToken));
        rows.AddRange(await ByDispositionAsync(contacts, cancellationToken));
        rows.AddRange(await ByRegionAsync(contacts, cancellationToken));
        rows.AddRange(await ByAdvisorAsync(contacts, cancellationToken));
        rows.AddRange(await CallbacksAsync(contacts, callbacksFrom, cancellationToken));
        rows.AddRange(await ChatLoadAsync(contacts, cancellationToken));
        return rows;
    }

    /// <summary>Every measure, per hour.</summary>
    private async Task<IEnumerable<ReportCount>> ByHourAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        var thresholdMs = Thresholds.ServiceLevelSeconds * 1000;
        var shortMs = Thresholds.ShortAbandonSeconds * 1000;
        var rows = (await contacts.GroupBy(c => new { c.LocalDate, c.LocalDayOfWeek, c.LocalHour, c.Channel, c.Language }).Select(g => new
        {
            g.Key,
            Contacts = g.Count(),
            Answered = g.Count(c => c.AnsweredAt != null),
            Within = g.Count(c => c.AnsweredAt != null && c.WaitMilliseconds <= thresholdMs),
            Abandoned = g.Count(c => c.Status == ContactStatus.Abandoned),
            Short = g.Count(c => c.Status == ContactStatus.Abandoned && c.WaitMilliseconds <= shortMs),
            Wait = g.Sum(c => c.AnsweredAt != null ? (long)(c.WaitMilliseconds ?? 0) : 0L),
            Handled = g.Count(c => c.WrapUpSeconds != null),
            Talk = g.Sum(c => c.WrapUpSeconds != null ? (long)(c.TalkSeconds ?? 0) : 0L),
            WrapUp = g.Sum(c => (long)(c.WrapUpSeconds ?? 0)),
            Referrals = g.Count(c => c.Disposition == Disposition.ReferredToTreatment),
            // A caller who pressed 9 is put through from the menu: counted there alone, never as an advisor's transfer too.
            CrisisByAdvisor = g.Count(c => c.CrisisTransferredAt != null && c.Status != ContactStatus.TransferredToCrisisLine),
            CrisisFromMenu = g.Count(c => c.Status == ContactStatus.TransferredToCrisisLine),
        }).ToListAsync(cancellationToken)).Select(r => new ReportCount
        {
            LocalDate = r.Key.LocalDate, LocalDayOfWeek = r.Key.LocalDayOfWeek, Dimension = CountDimension.Hour, Key = r.Key.LocalHour.ToString(CultureInfo.InvariantCulture),
            Channel = r.Key.Channel, Language = r.Key.Language, Contacts = r.Contacts, Answered = r.Answered, AnsweredWithinThreshold = r.Within,
            Abandoned = r.Abandoned, ShortAbandoned = r.Short, AnsweredWaitMilliseconds = r.Wait, Handled = r.Handled, TalkSeconds = r.Talk,
            WrapUpSeconds = r.WrapUp, Referrals = r.Referrals, CrisisTransfersByAdvisor = r.CrisisByAdvisor, CrisisLineFromMenu = r.CrisisFromMenu,
        }).ToList();
        await AddFirstRepliesAsync(contacts, rows, cancellationToken);
        return rows;
    }

    /// <summary>
    /// Chats' and text conversations' times to first reply, added to their hour's row. Read apart, from the chats alone: joined
    /// into the hourly count, every contact of the range probed the conversations table, which made a
    /// year counted live 2.5 times slower.
    /// </summary>
    private static async Task AddFirstRepliesAsync(IQueryable<Contact> contacts, List<ReportCount> hours, CancellationToken cancellationToken)
    {
        var replies = await contacts.Where(c => ContactChannels.Written.Contains(c.Channel) && c.Conversation!.FirstReplyMilliseconds != null)
            .GroupBy(c => new { c.LocalDate, c.LocalHour, c.Language, c.Channel })
            .Select(g => new { g.Key, Count = g.Count(), Milliseconds = g.Sum(c => (long)c.Conversation!.FirstReplyMilliseconds!.Value) })
            .ToListAsync(cancellationToken);
        var writtenHours = hours.Where(r => r.Channel.IsWritten()).ToDictionary(r => (r.LocalDate, r.Key, r.Language, r.Channel));
        foreach (var reply in replies)
        {
            // A conversation with a first reply is one of the hour's contacts, so its row is there.
            var hour = writtenHours[(reply.Key.LocalDate, reply.Key.LocalHour.ToString(CultureInfo.InvariantCulture), reply.Key.Language, reply.Key.Channel)];
            hour.FirstReplies = reply.Count;
            hour.FirstReplyMilliseconds = reply.Milliseconds;
        }
    }

    /// <summary>
    /// Per advisor and day, how many conversations (web chats and texts alike) they held at once: each runs from its taking to its
    /// end (or now); their lengths added up, the time with at least one open, and the most at once.
    /// A chat handed over counts for the advisor who ended it. One row per chat is read (a day's
    /// chats, not a year's: past days are kept).
    /// </summary>
    private async Task<IEnumerable<ReportCount>> ChatLoadAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        var chats = await contacts.Where(c => ContactChannels.Written.Contains(c.Channel) && c.AdvisorId != null && c.AnsweredAt != null)
            .Select(c => new { c.LocalDate, c.LocalDayOfWeek, AdvisorId = c.AdvisorId!, From = c.AnsweredAt!.Value, c.EndedAt })
            .ToListAsync(cancellationToken);
        var now = time.UtcNow;
        return chats.GroupBy(c => (c.LocalDate, c.LocalDayOfWeek, c.AdvisorId)).Select(day =>
        {
            var load = ChatLoad.Of([.. day.Select(c => (c.From, Until: c.EndedAt ?? (now > c.From ? now : c.From)))]);
            return new ReportCount
            {
                LocalDate = day.Key.LocalDate, LocalDayOfWeek = day.Key.LocalDayOfWeek, Dimension = CountDimension.ChatLoad, Key = day.Key.AdvisorId,
                Channel = ContactChannel.Chat, Language = CallerLanguage.English,
                ChatSeconds = load.ChatSeconds, ChattingSeconds = load.ChattingSeconds, MostChatsAtOnce = load.MostAtOnce,
            };
        }).ToList();
    }

    private static async Task<IEnumerable<ReportCount>> ByDispositionAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        return (await contacts.Where(c => c.Disposition != null).GroupBy(c => new { c.LocalDate, c.LocalDayOfWeek, Disposition = c.Disposition!.Value, c.Channel, c.Language })
            .Select(g => new { g.Key, Contacts = g.Count(), Answered = g.Count(c => c.AnsweredAt != null), Abandoned = g.Count(c => c.Status == ContactStatus.Abandoned) })
            .ToListAsync(cancellationToken)).Select(r => new ReportCount
        {
            LocalDate = r.Key.LocalDate, LocalDayOfWeek = r.Key.LocalDayOfWeek, Dimension = CountDimension.Disposition, Key = r.Key.Disposition.ToString(),
            Channel = r.Key.Channel, Language = r.Key.Language, Contacts = r.Contacts, Answered = r.Answered, Abandoned = r.Abandoned,
        });
    }

    private static async Task<IEnumerable<ReportCount>> ByRegionAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        return (await contacts.Where(c => c.Region != null).GroupBy(c => new { c.LocalDate, c.LocalDayOfWeek, Region = c.Region!, c.Channel, c.Language })
            .Select(g => new { g.Key, Contacts = g.Count(), Answered = g.Count(c => c.AnsweredAt != null), Abandoned = g.Count(c => c.Status == ContactStatus.Abandoned) })
            .ToListAsync(cancellationToken)).Select(r => new ReportCount
        {
            LocalDate = r.Key.LocalDate, LocalDayOfWeek = r.Key.LocalDayOfWeek, Dimension = CountDimension.Region, Key = r.Key.Region,
            Channel = r.Key.Channel, Language = r.Key.Language, Contacts = r.Contacts, Answered = r.Answered, Abandoned = r.Abandoned,
        });
    }

    private static async Task<IEnumerable<ReportCount>> ByAdvisorAsync(IQueryable<Contact> contacts, CancellationToken cancellationToken)
    {
        return (await contacts.Where(c => c.AdvisorId != null).GroupBy(c => new { c.LocalDate, c.LocalDayOfWeek, AdvisorId = c.AdvisorId!, c.Channel, c.Language })
            .Select(g => new
            {
                g.Key,
                Handled = g.Count(c => c.WrapUpSeconds != null),
                Talk = g.Sum(c => c.WrapUpSeconds != null ? (long)(c.TalkSeconds ?? 0) : 0L),
                WrapUp = g.Sum(c => (long)(c.WrapUpSeconds ?? 0)),
                Referrals = g.Count(c => c.Disposition == Disposition.ReferredToTreatment),
            })
            .ToListAsync(cancellationToken)).Select(r => new ReportCount
        {
            LocalDate = r.Key.LocalDate, LocalDayOfWeek = r.Key.LocalDayOfWeek, Dimension = CountDimension.Advisor, Key = r.Key.AdvisorId,
            Channel = r.Key.Channel, Language = r.Key.Language, Handled = r.Handled, TalkSeconds = r.Talk, WrapUpSeconds = r.WrapUp, Referrals = r.Referrals,
        });
    }

    /// <summary>The contacts' callbacks, made since <paramref name="callbacksFrom"/>.</summary>
    private async Task<IEnumerable<ReportCount>> CallbacksAsync(IQueryable<Contact> contacts, DateTime callbacksFrom, CancellationToken cancellationToken)
    {
        var callbacks = from callback in db.Callbacks.AsNoTracking().Where(c => c.CreatedAt >= callbacksFrom)
                        join contact in contacts on callback.ContactId equals contact.Id
                        select new { callback, contact.LocalDate, contact.LocalDayOfWeek, contact.Channel, contact.Language };
        return (await callbacks.GroupBy(c => new { c.LocalDate, c.LocalDayOfWeek, c.Channel, c.Language }).Select(g => new
        {
            g.Key,
            Callbacks = g.Count(),
            Placed = g.Count(c => c.callback.FirstAttemptAt != null),
            WithinOne = g.Count(c => c.callback.FirstAttemptAt != null && c.callback.FirstAttemptLateSeconds <= 60),
            WithinFive = g.Count(c => c.callback.FirstAttemptAt != null && c.callback.FirstAttemptLateSeconds <= 300),
            Completed = g.Count(c => c.callback.Status == CallbackStatus.Completed),
            Missed = g.Count(c => c.callback.Status == CallbackStatus.Missed),
            Attempts = g.Sum(c => c.callback.Attempts),
        }).ToListAsync(cancellationToken)).Select(r => new ReportCount
        {
            LocalDate = r.Key.LocalDate, LocalDayOfWeek = r.Key.LocalDayOfWeek, Dimension = CountDimension.Callbacks, Channel = r.Key.Channel, Language = r.Key.Language,
            Callbacks = r.Callbacks, CallbacksPlaced = r.Placed, CallbacksWithinOneMinute = r.WithinOne, CallbacksWithinFiveMinutes = r.WithinFive,
            CallbacksCompleted = r.Completed, CallbacksMissed = r.Missed, CallbackAttempts = r.Attempts,
        });
    }

    /// <summary>
    /// Recounts the kept days in From–To whose contacts changed since they were counted (a different
    /// number of contacts, or a later change), or that were counted with other thresholds or under
    /// other counting rules (<see cref="FormulasVersion"/>). Returns
    /// how many days were recounted.
    /// </summary>
    public async Task<int> RefreshAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        var now = db.Contacts.AsNoTracking().Where(c => c.LocalDate >= from && c.LocalDate <= to)
            .GroupBy(c => c.LocalDate).Select(g => new { Date = g.Key, Contacts = g.Count(), Last = g.Max(c => c.UpdatedAt) });
        var current = await now.ToDictionaryAsync(d => d.Date, cancellationToken);
        var kept = await db.ReportDays.AsNoTracking().Where(d => d.LocalDate >= from && d.LocalDate <= to).ToDictionaryAsync(d => d.LocalDate, cancellationToken);
        var stale = current.Values
            .Where(d => !kept.TryGetValue(d.Date, out var k) || k.Contacts != d.Contacts || k.LastUpdatedAt != d.Last
                || k.ServiceLevelSeconds != Thresholds.ServiceLevelSeconds || k.ShortAbandonSeconds != Thresholds.ShortAbandonSeconds
                || k.Formulas != FormulasVersion)
            .Select(d => d.Date)
            .Concat(kept.Keys.Where(d => !current.ContainsKey(d)))
            .ToList();
        if (stale.Count == 0)
            return 0;

        var counts = await CountAsync(db.Contacts.AsNoTracking().Where(c => stale.Contains(c.LocalDate)), stale.Min(), cancellationToken);
        var countedAt = time.UtcNow;
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        await db.ReportCounts.Where(r => stale.Contains(r.LocalDate)).ExecuteDeleteAsync(cancellationToken);
        await db.ReportDays.Where(d => stale.Contains(d.LocalDate)).ExecuteDeleteAsync(cancellationToken);
        db.ReportCounts.AddRange(counts);
        db.ReportDays.AddRange(stale.Where(current.ContainsKey).Select(d => new ReportDay
        {
            LocalDate = d, Contacts = current[d].Contacts, LastUpdatedAt = current[d].Last, CountedAt = countedAt,
            ServiceLevelSeconds = Thresholds.ServiceLevelSeconds, ShortAbandonSeconds = Thresholds.ShortAbandonSeconds, Formulas = FormulasVersion,
        }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return stale.Count;
    }

    /// <summary>The kept counts of From–LastKept, added up by the database to what the report shows.</summary>
    private async Task<List<ReportCount>> KeptAsync(ReportFilter filter, DateOnly lastKept, CancellationToken cancellationToken)
    {
        var kept = db.ReportCounts.AsNoTracking().Where(r => r.LocalDate >= filter.From && r.LocalDate <= lastKept);
        if (filter.Channel is { } channel)
            kept = kept.Where(r => r.Channel == channel);
        if (filter.Language is { } language)
            kept = kept.Where(r => r.Language == language && r.Dimension != CountDimension.ChatLoad);
        // Hours by weekday and channel (totals, hours, weekdays and channels come from these), and the
        // other dimensions by key: a few hundred rows for any range.
        var rows = await kept.GroupBy(r => new { r.Dimension, r.Key, r.LocalDayOfWeek, Channel = r.Dimension == CountDimension.Hour ? r.Channel : 0 }).Select(g => new ReportCount
        {
            Dimension = g.Key.Dimension, Key = g.Key.Key, LocalDayOfWeek = g.Key.LocalDayOfWeek, Channel = g.Key.Channel,
            Contacts = g.Sum(r => r.Contacts), Answered = g.Sum(r => r.Answered), AnsweredWithinThreshold = g.Sum(r => r.AnsweredWithinThreshold),
            Abandoned = g.Sum(r => r.Abandoned), ShortAbandoned = g.Sum(r => r.ShortAbandoned), AnsweredWaitMilliseconds = g.Sum(r => r.AnsweredWaitMilliseconds),
            Handled = g.Sum(r => r.Handled), TalkSeconds = g.Sum(r => r.TalkSeconds), WrapUpSeconds = g.Sum(r => r.WrapUpSeconds), Referrals = g.Sum(r => r.Referrals),
            CrisisTransfersByAdvisor = g.Sum(r => r.CrisisTransfersByAdvisor), CrisisLineFromMenu = g.Sum(r => r.CrisisLineFromMenu),
            Callbacks = g.Sum(r => r.Callbacks), CallbacksPlaced = g.Sum(r => r.CallbacksPlaced), CallbacksWithinOneMinute = g.Sum(r => r.CallbacksWithinOneMinute),
            CallbacksWithinFiveMinutes = g.Sum(r => r.CallbacksWithinFiveMinutes), CallbacksCompleted = g.Sum(r => r.CallbacksCompleted),
            CallbacksMissed = g.Sum(r => r.CallbacksMissed), CallbackAttempts = g.Sum(r => r.CallbackAttempts),
            FirstReplies = g.Sum(r => r.FirstReplies), FirstReplyMilliseconds = g.Sum(r => r.FirstReplyMilliseconds),
            ChatSeconds = g.Sum(r => r.ChatSeconds), ChattingSeconds = g.Sum(r => r.ChattingSeconds), MostChatsAtOnce = g.Max(r => r.MostChatsAtOnce),
        }).ToListAsync(cancellationToken);
        return rows;
    }

    /// <summary>Per advisor: contacts handled in the range, and staffed time (available, busy, wrap-up) on those days.</summary>
    private async Task<List<AdvisorFigures>> AdvisorsAsync(ReportFilter filter, IEnumerable<ReportCount> advisorRows, IEnumerable<ReportCount> chatLoadRows, CancellationToken cancellationToken)
    {
        // Chats held at once are the advisor's whatever the chats' language: shown unless filtered by language.
        var chatLoad = filter.Language is null
            ? chatLoadRows.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => new ChatLoad(g.Sum(r => r.ChatSeconds), g.Sum(r => r.ChattingSeconds), g.Max(r => r.MostChatsAtOnce)))
            : [];
        var handled = advisorRows.GroupBy(r => r.Key).Select(g => new
        {
            AdvisorId = g.Key,
            Handled = g.Sum(r => r.Handled),
            Talk = g.Sum(r => r.TalkSeconds),
            WrapUp = g.Sum(r => r.WrapUpSeconds),
            Referrals = g.Sum(r => r.Referrals),
        }).ToList();

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
        // Filtered by region, staffed time is not the region's: occupancy is only shown unfiltered or per advisor.
        if (filter.Region is not null || filter.Channel is not null || filter.Language is not null)
            staffed.Clear();

        var ids = handled.Select(h => h.AdvisorId).Union(staffed.Keys).Union(chatLoad.Keys).ToList();
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, cancellationToken);
        return [.. ids
            .Select(id =>
            {
                var h = handled.FirstOrDefault(h => h.AdvisorId == id);
                return new AdvisorFigures(id, names.GetValueOrDefault(id) ?? "(removed)", h?.Handled ?? 0, h?.Talk ?? 0, h?.WrapUp ?? 0, h?.Referrals ?? 0,
                    staffed.GetValueOrDefault(id), chatLoad.GetValueOrDefault(id) ?? ChatLoad.None);
            })
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
        ContactChannel.Chat => "Web chat",
        ContactChannel.Sms => "Text message",
        _ => channel.ToString(),
    };

    public static string Disposition(Disposition disposition) => Dashboard.IndexModel.Label(disposition);
}
