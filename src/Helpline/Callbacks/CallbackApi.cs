using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>Callbacks for staff: the list (missed ones for supervisors), rescheduling and cancelling; every change audited.</summary>
public static class CallbackApi
{
    public static IEndpointRouteBuilder MapCallbackApi(this IEndpointRouteBuilder app)
    {
        var callbacks = app.MapGroup("/api/callbacks").RequireAuthorization();
        callbacks.MapGet("/", List);
        callbacks.MapPost("/{id:long}/reschedule", Reschedule);
        callbacks.MapPost("/{id:long}/cancel", Cancel);
        return app;
    }

    public sealed record CallbackRow(long Id, long ContactId, CallbackStatus Status, DateTime DueAt, string TimeZone,
        TimeOnly WindowStartLocal, TimeOnly WindowEndLocal, int Attempts, int MaxAttempts, string MaskedNumber);

    public sealed record RescheduleRequest(DateOnly Date, TimeOnly WindowStart, TimeOnly WindowEnd);

    /// <summary>Callbacks by status (default: scheduled and due), soonest first; at most 500.</summary>
    internal static async Task<Ok<List<CallbackRow>>> List(HelplineDb db, CallbackStatus? status)
    {
        var query = db.Callbacks.AsNoTracking();
        query = status is { } wanted
            ? query.Where(c => c.Status == wanted)
            : query.Where(c => c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due);
        var rows = await query.OrderBy(c => c.DueAt).Take(500)
            .Select(c => new { c.Id, c.ContactId, c.Status, c.DueAt, c.TimeZone, c.WindowStartLocal, c.WindowEndLocal, c.Attempts, c.MaxAttempts, Phone = c.Caller!.PhoneNumber })
            .ToListAsync();
        return TypedResults.Ok(rows.Select(r => new CallbackRow(r.Id, r.ContactId, r.Status, r.DueAt, r.TimeZone, r.WindowStartLocal, r.WindowEndLocal, r.Attempts, r.MaxAttempts, CallerNumbers.Mask(r.Phone))).ToList());
    }

    /// <summary>A new day and window in the caller's time (inside 8:00–21:00); the callback waits again for its job.</summary>
    internal static async Task<Results<Ok<CallbackRow>, ProblemHttpResult>> Reschedule(long id, RescheduleRequest request, ClaimsPrincipal user, HelplineDb db,
        HelplineTime time, OpeningHours hours, QueueEvents events, CallbackDispatcher dispatcher)
    {
        var callback = await db.Callbacks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (callback is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such callback.");
        if (callback.Status is not (CallbackStatus.Scheduled or CallbackStatus.Due or CallbackStatus.Missed))
            return QueueApi.Problem(StatusCodes.Status409Conflict, "Only a scheduled, due or missed callback can be rescheduled.");
        var zone = TimeZoneInfo.FindSystemTimeZoneById(callback.TimeZone);
        var callerToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(time.UtcNow, zone));
        if (request.WindowEnd <= request.WindowStart || request.WindowEnd <= CallbackWindow.Earliest || request.WindowStart >= CallbackWindow.Latest)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "The window must end after it starts and fall between 8:00 and 21:00 in the caller's time zone.");
        if (request.Date < callerToday || request.Date > callerToday.AddDays(60))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "The day must be between today and 60 days from now (the caller's date).");

        var now = time.UtcNow;
        var start = request.WindowStart < CallbackWindow.Earliest ? CallbackWindow.Earliest : request.WindowStart;
        var end = request.WindowEnd > CallbackWindow.Latest ? CallbackWindow.Latest : request.WindowEnd;
        var from = TimeZoneInfo.ConvertTimeToUtc(request.Date.ToDateTime(start), zone);
        var due = CallbackWindow.FirstDueTime(from < now ? now : from, callback.TimeZone, start, end, hours)
            ?? CallbackWindow.FirstDueTime(from < now ? now : from, callback.TimeZone, start, end, hours: null)!.Value;
        QueueChange change;
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            var moved = await db.Callbacks.Where(c => c.Id == id && c.Status == callback.Status)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, CallbackStatus.Scheduled)
                    .SetProperty(c => c.DueAt, due)
                    .SetProperty(c => c.WindowStartLocal, start)
                    .SetProperty(c => c.WindowEndLocal, end)
                    .SetProperty(c => c.Attempts, c => callback.Status == CallbackStatus.Missed ? 0 : c.Attempts)
                    .SetProperty(c => c.JobId, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now));
            if (moved == 0)
                return QueueApi.Problem(StatusCodes.Status409Conflict, "The callback changed meanwhile; look again.");
            await db.Contacts.Where(c => c.Id == callback.ContactId && (c.Status == ContactStatus.Waiting || c.Status == ContactStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.AwaitingCallback).SetProperty(c => c.UpdatedAt, now));
            change = events.Record(QueueChangeKinds.ContactUpdated, now, callback.ContactId);
            db.AuditEntries.Add(AuditEntry.By(user, now, "callback.rescheduled", callback.ContactId, $"callback {id} due {due:o}"));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await events.PublishAsync(change);
        dispatcher.Wake();
        return TypedResults.Ok((await List(db, CallbackStatus.Scheduled)).Value!.Single(c => c.Id == id));
    }

    /// <summary>The callback is no longer wanted: it will not be made, and it leaves the queue if it was there.</summary>
    internal static async Task<Results<Ok, ProblemHttpResult>> Cancel(long id, ClaimsPrincipal user, HelplineDb db, HelplineTime time, QueueEvents events)
    {
        var callback = await db.Callbacks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (callback is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such callback.");
        var now = time.UtcNow;
        QueueChange change;
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            var cancelled = await db.Callbacks.Where(c => c.Id == id && (c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due || c.Status == CallbackStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Cancelled).SetProperty(c => c.UpdatedAt, now));
            if (cancelled == 0)
                return QueueApi.Problem(StatusCodes.Status409Conflict, "Only a scheduled, due or missed callback can be cancelled; one in progress ends with its call.");
            await db.Contacts.Where(c => c.Id == callback.ContactId && (c.Status == ContactStatus.AwaitingCallback || c.Status == ContactStatus.Waiting || c.Status == ContactStatus.Missed))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.Cancelled).SetProperty(c => c.UpdatedAt, now));
            change = events.Record(QueueChangeKinds.ContactLeftQueue, now, callback.ContactId);
            db.AuditEntries.Add(AuditEntry.By(user, now, "callback.cancelled", callback.ContactId, $"callback {id}"));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await events.PublishAsync(change);
        return TypedResults.Ok();
    }
}
