using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Reports;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Dashboard;

/// <summary>The supervisor's wallboard figures: the line right now and today so far (helpline-local day).</summary>
public static class WallboardApi
{
    public static IEndpointRouteBuilder MapWallboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/wallboard", Figures).RequireAuthorization(AccountsExtensions.SupervisorPolicy);
        return app;
    }

    public sealed record PresenceCount(Presence Presence, int Advisors);

    public sealed record WallboardFigures(
        DateTime At,
        int WaitingNow,
        DateTime? LongestWaitingSince,
        int InProgress,
        IReadOnlyList<PresenceCount> AdvisorsByPresence,
        DateOnly Today,
        int AnsweredToday,
        int AnsweredWithinServiceLevelToday,
        int AbandonedToday,
        int ShortAbandonedToday,
        double? ServiceLevelToday,
        int CallbacksDueNextHour,
        int CallbacksMissedToday,
        IReadOnlyList<MissedCallback> MissedCallbacks,
        IReadOnlyList<ChannelToday> Channels,
        ChatsNow Chats);

    /// <summary>Today's contacts of one channel: offered (arrived), answered, abandoned, and the average handling time (talk and wrap-up) of those completed.</summary>
    public sealed record ChannelToday(ContactChannel Channel, int Offered, int Answered, int Abandoned, int? AverageHandleSeconds);

    /// <summary>
    /// Web chats: under way now, how many conversations the advisors chatting hold (the most and the
    /// average), and today's average time from joining the queue to the advisor's first message.
    /// </summary>
    public sealed record ChatsNow(int UnderWay, int AdvisorsChatting, int MostPerAdvisor, double? AveragePerAdvisor, int? AverageFirstReplySecondsToday, int FirstRepliesToday);

    /// <summary>A callback that ran out of attempts, for a supervisor to follow up on the callbacks page.</summary>
    public sealed record MissedCallback(long Id, string MaskedNumber, DateTime DueAt, int Attempts, CallbackOutcome? LastOutcome, DateTime MissedAt);

    /// <summary>Today's figures use the reports' thresholds and formulas (Reports:ServiceLevelSeconds, Reports:ShortAbandonSeconds).</summary>
    internal static async Task<Ok<WallboardFigures>> Figures(HelplineDb db, HelplineTime time, CallbackDesk callbacks, IOptions<ReportOptions> thresholds,
        System.Security.Claims.ClaimsPrincipal user, Audit.ListViews views)
    {
        var withinMs = thresholds.Value.ServiceLevelSeconds * 1000;
        var shortMs = thresholds.Value.ShortAbandonSeconds * 1000;
        var now = time.UtcNow;
        var today = time.Stamp(now).Date;
        var waiting = db.Contacts.Where(c => c.Status == ContactStatus.Waiting);
        var todays = db.Contacts.Where(c => c.LocalDate == today);

        var answered = await todays.CountAsync(c => c.AnsweredAt != null);
        var withinLevel = await todays.CountAsync(c => c.AnsweredAt != null && c.WaitMilliseconds <= withinMs);
        var abandoned = await todays.CountAsync(c => c.Status == ContactStatus.Abandoned);
        var shortAbandoned = await todays.CountAsync(c => c.Status == ContactStatus.Abandoned && c.WaitMilliseconds <= shortMs);
        var counted = answered + abandoned - shortAbandoned;
        var presence = await db.Users.GroupBy(u => u.Presence).Select(g => new PresenceCount(g.Key, g.Count())).ToListAsync();
        var hourAhead = now.AddHours(1);
        var dayStart = TimeZoneInfo.ConvertTimeToUtc(today.ToDateTime(TimeOnly.MinValue), time.Zone);

        var channels = await todays.GroupBy(c => c.Channel).Select(g => new
        {
            Channel = g.Key,
            Offered = g.Count(),
            Answered = g.Count(c => c.AnsweredAt != null),
            Abandoned = g.Count(c => c.Status == ContactStatus.Abandoned),
            Handle = g.Where(c => c.Status == ContactStatus.Completed).Average(c => (double?)((c.TalkSeconds ?? 0) + (c.WrapUpSeconds ?? 0))),
        }).ToListAsync();
        var missed = (await callbacks.ListAsync(CallbackStatus.Missed)).Take(10).ToList();
        await views.AuditWhenChangedAsync(db, user, "wallboard.missed-callbacks-viewed", "missed callbacks on the wallboard", [.. missed.Select(c => c.ContactId)]);

        return TypedResults.Ok(new WallboardFigures(
            now,
            await waiting.CountAsync(),
            await waiting.MinAsync(c => c.QueuedAt),
            await db.Contacts.CountAsync(c => c.Status == ContactStatus.Connecting || c.Status == ContactStatus.InProgress),
            [.. Enum.GetValues<Presence>().Select(p => presence.FirstOrDefault(c => c.Presence == p) ?? new PresenceCount(p, 0))],
            today,
            answered,
            withinLevel,
            abandoned,
            shortAbandoned,
            counted == 0 ? null : (double)withinLevel / counted,
            await db.Callbacks.CountAsync(c => (c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due) && c.DueAt <= hourAhead),
            await db.Callbacks.CountAsync(c => c.Status == CallbackStatus.Missed && c.UpdatedAt >= dayStart),
            [.. missed.Select(c => new MissedCallback(c.Id, c.MaskedNumber, c.DueAt, c.Attempts, c.LastOutcome, c.UpdatedAt))],
            [.. channels.OrderBy(c => c.Channel).Select(c => new ChannelToday(c.Channel, c.Offered, c.Answered, c.Abandoned, c.Handle is { } h ? (int)Math.Round(h) : null))],
            await ChatsAsync(db, today)));
    }

    private static async Task<ChatsNow> ChatsAsync(HelplineDb db, DateOnly today)
    {
        var perAdvisor = await db.Contacts
            .Where(c => ContactChannels.Written.Contains(c.Channel) && (c.Status == ContactStatus.InProgress || c.Status == ContactStatus.WrapUp) && c.AdvisorId != null)
            .GroupBy(c => c.AdvisorId).Select(g => g.Count()).ToListAsync();
        var underWay = await db.Contacts.CountAsync(c => ContactChannels.Written.Contains(c.Channel) && c.Status == ContactStatus.InProgress);
        // Differences of times are taken here: SQLite cannot subtract them in a query. A day's chats are few enough.
        var replies = await db.Conversations.Where(c => c.Contact!.LocalDate == today && c.FirstReplyAt != null && c.Contact.QueuedAt != null)
            .Select(c => new { c.FirstReplyAt, c.Contact!.QueuedAt }).ToListAsync();
        return new ChatsNow(
            underWay,
            perAdvisor.Count,
            perAdvisor.Count == 0 ? 0 : perAdvisor.Max(),
            perAdvisor.Count == 0 ? null : Math.Round(perAdvisor.Average(), 1),
            replies.Count == 0 ? null : (int)Math.Round(replies.Average(r => Math.Max(0, (r.FirstReplyAt!.Value - r.QueuedAt!.Value).TotalSeconds))),
            replies.Count);
    }
}
