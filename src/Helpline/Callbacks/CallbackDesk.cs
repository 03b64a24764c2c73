using System.Security.Claims;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>One callback as staff see it in a list: the number masked, the window in the caller's time.</summary>
public sealed record CallbackRow(long Id, long ContactId, CallbackStatus Status, DateTime DueAt, string TimeZone,
    TimeOnly WindowStartLocal, TimeOnly WindowEndLocal, int Attempts, int MaxAttempts, CallbackOutcome? LastOutcome,
    DateTime UpdatedAt, string MaskedNumber)
{
    /// <summary>The due time on the caller's clock.</summary>
    public DateTime DueLocal => TimeZoneInfo.ConvertTimeFromUtc(DueAt, TimeZoneInfo.FindSystemTimeZoneById(TimeZone));
}

/// <summary>The answer to a change: done, or the HTTP status and the reason it was refused.</summary>
public readonly record struct CallbackChange(int StatusCode, string? Problem)
{
    public bool Done => Problem is null;

    public static readonly CallbackChange Ok = new(StatusCodes.Status200OK, null);

    public static CallbackChange Refused(int statusCode, string problem) => new(statusCode, problem);
}

/// <summary>
/// What staff do with callbacks, for the JSON API and the callbacks page alike: list them, move one to
/// another day and window inside the caller's hours, or cancel one. Every change is audited.
/// </summary>
public sealed class CallbackDesk(HelplineDb db, HelplineTime time, OpeningHours hours, QueueEvents events, CallbackDispatcher dispatcher)
{
    public const int ListLimit = 500;

    /// <summary>Callbacks by status (default: scheduled and due, soonest first; the others most recent first); at most 500.</summary>
    public async Task<List<CallbackRow>> ListAsync(CallbackStatus? status = null, long? id = null)
    {
        var query = db.Callbacks.AsNoTracking();
        if (id is { } one)
            query = query.Where(c => c.Id == one);
        else if (status is { } wanted)
            query = query.Where(c => c.Status == wanted);
        else
            query = query.Where(c => c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due);
        query = status is null or CallbackStatus.Scheduled or CallbackStatus.Due
            ? query.OrderBy(c => c.DueAt)
            : query.OrderByDescending(c => c.UpdatedAt);
        var rows = await query.Take(ListLimit)
            .Select(c => new { c.Id, c.ContactId, c.Status, c.DueAt, c.TimeZone, c.WindowStartLocal, c.WindowEndLocal, c.Attempts, c.MaxAttempts, c.LastOutcome, c.UpdatedAt, Phone = c.Caller!.PhoneNumber })
            .ToListAsync();
        return [.. rows.Select(r => new CallbackRow(r.Id, r.ContactId, r.Status, r.DueAt, r.TimeZone, r.WindowStartLocal, r.WindowEndLocal,
            r.Attempts, r.MaxAttempts, r.LastOutcome, r.UpdatedAt, CallerNumbers.Mask(r.Phone)))];
    }

    /// <summary>
    /// A new day and window in the caller's time (inside 8:00–21:00). A missed callback starts its
    /// attempts again. The callback waits again for its job, at the first moment the line is open.
    /// </summary>
    public async Task<CallbackChange> RescheduleAsync(long id, DateOnly date, TimeOnly windowStart, TimeOnly windowEnd, ClaimsPrincipal user)
    {
        var callback = await db.Callbacks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (callback is null)
            return CallbackChange.Refused(StatusCodes.Status404NotFound, "There is no such callback.");
        if (callback.Status is not (CallbackStatus.Scheduled or CallbackStatus.Due or CallbackStatus.Missed))
            return CallbackChange.Refused(StatusCodes.Status409Conflict, "Only a scheduled, due or missed callback can be rescheduled.");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(callback.TimeZone);
        var now = time.UtcNow;
        var callerToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now, zone));
        if (windowEnd <= windowStart || windowEnd <= CallbackWindow.Earliest || windowStart >= CallbackWindow.Latest)
            return CallbackChange.Refused(StatusCodes.Status400BadRequest, "The window must end after it starts and fall between 8:00 and 21:00 in the caller's time zone.");
        if (date < callerToday || date > callerToday.AddDays(60))
            return CallbackChange.Refused(StatusCodes.Status400BadRequest, "The day must be between today and 60 days from now (the caller's date).");

        var start = windowStart < CallbackWindow.Earliest ? CallbackWindow.Earliest : windowStart;
        var end = windowEnd > CallbackWindow.Latest ? CallbackWindow.Latest : windowEnd;
        var from = TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(start), zone);
        if (from < now)
            from = now;
        if (CallbackWindow.FirstDueTime(from, callback.TimeZone, start, end, hours: null) is null || date.ToDateTime(end) <= TimeZoneInfo.ConvertTimeFromUtc(now, zone))
            return CallbackChange.Refused(StatusCodes.Status400BadRequest, "That window has passed already on the caller's clock.");
        // Closed in that window: the first open moment in the same window on a later day.
        var due = CallbackWindow.DueTime(from, callback.TimeZone, start, end, hours);

        if (!await MoveAsync(callback, start, end, due, user, now))
            return CallbackChange.Refused(StatusCodes.Status409Conflict, "The callback changed meanwhile; look again.");
        dispatcher.Wake();
        return CallbackChange.Ok;
    }

    /// <summary>Moves the callback to its new window if it is still as it was read; a due one leaves the queue until then.</summary>
    private Task<bool> MoveAsync(Callback callback, TimeOnly start, TimeOnly end, DateTime due, ClaimsPrincipal user, DateTime now) =>
        events.CommitAsync(async () =>
        {
            var moved = await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == callback.Status)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, CallbackStatus.Scheduled)
                    .SetProperty(c => c.DueAt, due)
                    .SetProperty(c => c.WindowStartLocal, start)
                    .SetProperty(c => c.WindowEndLocal, end)
                    .SetProperty(c => c.Attempts, c => callback.Status == CallbackStatus.Missed ? 0 : c.Attempts)
                    .SetProperty(c => c.JobId, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now));
            if (moved == 0)
                return null;
            await db.Contacts.Where(c => c.Id == callback.ContactId && (c.Status == ContactStatus.Waiting || c.Status == ContactStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.AwaitingCallback).SetProperty(c => c.UpdatedAt, now));
            db.AuditEntries.Add(AuditEntry.By(user, now, "callback.rescheduled", callback.ContactId, $"callback {callback.Id} due {due:o}"));
            // A due callback was in the queue; now it waits for its new time.
            return [events.Record(callback.Status == CallbackStatus.Due ? QueueChangeKinds.ContactLeftQueue : QueueChangeKinds.ContactUpdated, now, callback.ContactId)];
        });

    /// <summary>The callback is no longer wanted: it will not be made, and it leaves the queue if it was there.</summary>
    public async Task<CallbackChange> CancelAsync(long id, ClaimsPrincipal user)
    {
        var callback = await db.Callbacks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (callback is null)
            return CallbackChange.Refused(StatusCodes.Status404NotFound, "There is no such callback.");
        var now = time.UtcNow;
        var cancelled = await events.CommitAsync(async () =>
        {
            var cancelled = await db.Callbacks.Where(c => c.Id == id && (c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due || c.Status == CallbackStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Cancelled).SetProperty(c => c.UpdatedAt, now));
            if (cancelled == 0)
                return null;
            await db.Contacts.Where(c => c.Id == callback.ContactId && (c.Status == ContactStatus.AwaitingCallback || c.Status == ContactStatus.Waiting || c.Status == ContactStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.Cancelled).SetProperty(c => c.UpdatedAt, now));
            db.AuditEntries.Add(AuditEntry.By(user, now, "callback.cancelled", callback.ContactId, $"callback {id}"));
            return [events.Record(QueueChangeKinds.ContactLeftQueue, now, callback.ContactId)];
        });
        if (!cancelled)
            return CallbackChange.Refused(StatusCodes.Status409Conflict, "Only a scheduled, due or missed callback can be cancelled; one in progress ends with its call.");
        return CallbackChange.Ok;
    }
}
