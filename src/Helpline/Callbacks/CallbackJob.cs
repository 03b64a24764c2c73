using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>
/// The background job behind a callback. It takes the callback's id, is safe to run twice, and
/// re-checks the world when it runs: still wanted, consent, quiet hours, opening hours. Then the
/// contact enters the shared queue at its place in line (its due time), marked as a callback.
/// </summary>
public sealed class CallbackJob(
    HelplineDb db,
    QueueEvents events,
    HelplineTime time,
    OpeningHours hours,
    TimeProvider clock,
    CallbackDispatcher dispatcher,
    CallbackDueGate gate,
    ILogger<CallbackJob> logger)
{
    /// <summary>
    /// Jobs fire a little before their callbacks are due (whole seconds, and a second's job on purpose
    /// ahead of it); the gate holds each callback until its due time. A job firing earlier than this
    /// was meant for another due time, and its callback is scheduled again.
    /// </summary>
    private static readonly TimeSpan WaitOutAtMost = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Hangfire's entry. A job that fires before the due time leaves the callback to the gate and
    /// returns at once; one that fires on time (or late) goes through the gate too, with the others
    /// due then, and returns when its callback is in the queue.
    /// </summary>
    public async Task RunAsync(long callbackId, CancellationToken cancellationToken)
    {
        var callback = await db.Callbacks.AsNoTracking().SingleOrDefaultAsync(c => c.Id == callbackId, cancellationToken);
        if (callback is not { Status: CallbackStatus.Scheduled })
            return;

        var early = callback.DueAt - time.UtcNow;
        if (early > WaitOutAtMost)
        {
            await ScheduleAgainAsync(callback, cancellationToken);
            return;
        }
        if (early > TimeSpan.Zero)
        {
            // Waiting here would hold one of Hangfire's few workers for up to a second; in a surge the
            // callbacks due after it would wait their turn and all be late.
            gate.HoldUntilDue(callbackId, early);
            return;
        }
        await gate.StartNowAsync(callbackId, cancellationToken);
    }

    /// <summary>
    /// Hangfire's entry for every callback due within one whole second, from <paramref name="unixSecond"/>:
    /// the dispatcher gives them all one job. In a surge that is at most one job a second instead of
    /// one per callback, and each job is a dozen writes to Hangfire's store (on PostgreSQL, trips to
    /// the database shared with the calls): per callback, the store was what made them late.
    /// </summary>
    public async Task RunSecondAsync(long unixSecond, CancellationToken cancellationToken)
    {
        var second = DateTime.UnixEpoch.AddSeconds(unixSecond);
        var end = second.AddSeconds(1);
        var callbacks = await db.Callbacks.AsNoTracking()
            .Where(c => c.Status == CallbackStatus.Scheduled && c.DueAt >= second && c.DueAt < end)
            .Select(c => new { c.Id, c.DueAt })
            .ToListAsync(cancellationToken);
        var now = time.UtcNow;
        if (second - now > WaitOutAtMost)
        {
            // Fired far too early (another node's clock, say): their jobs are scheduled again.
            await dispatcher.ScheduleAgainAsync(db, [.. callbacks.Select(c => c.Id)], cancellationToken);
            return;
        }
        var dueNow = new List<long>();
        foreach (var callback in callbacks)
        {
            if (callback.DueAt > now)
                gate.HoldUntilDue(callback.Id, callback.DueAt - now);
            else
                dueNow.Add(callback.Id);
        }
        await StartNowAsync(dueNow, cancellationToken);
    }

    /// <summary>Puts these callbacks in the queue now (those still scheduled), together; completes when they are committed.</summary>
    internal Task StartNowAsync(IReadOnlyCollection<long> callbackIds, CancellationToken cancellationToken) =>
        Task.WhenAll(callbackIds.Select(id => gate.StartNowAsync(id, cancellationToken)));

    /// <summary>
    /// The gate's entry: callbacks due now, put in the queue together in one transaction. In a surge
    /// that is one commit (one disk sync, one turn of SQLite's single writer) for all of them instead
    /// of one each, which is what keeps them on time while calls and forms are written too.
    /// </summary>
    internal async Task StartDueAsync(IReadOnlyCollection<long> callbackIds, CancellationToken cancellationToken)
    {
        var callbacks = await db.Callbacks.AsNoTracking()
            .Where(c => callbackIds.Contains(c.Id) && c.Status == CallbackStatus.Scheduled)
            .ToListAsync(cancellationToken);
        if (callbacks.Count == 0)
            return;
        // Timers count whole milliseconds and may wake a hair early: wait until the clock says it is time.
        var latest = callbacks.Where(c => c.DueAt - time.UtcNow <= WaitOutAtMost).Select(c => c.DueAt).DefaultIfEmpty().Max();
        TimeSpan early;
        while ((early = latest - time.UtcNow) > TimeSpan.Zero)
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(early.TotalMilliseconds)), clock, cancellationToken);

        var now = time.UtcNow;
        // The checks read for the whole batch at once: in a surge, a round trip per callback per
        // check was most of the batch's time (on PostgreSQL each is a trip to another process).
        var callerIds = callbacks.Select(c => c.CallerId).Distinct().ToList();
        var consented = await db.GrantedAmongAsync(callerIds, ConsentKind.CallBack, cancellationToken);
        var blocked = await Blocking.BlockedNumbers.BlockedAmongAsync(db, callerIds, now, cancellationToken);
        var ready = new List<Callback>();
        foreach (var callback in callbacks)
        {
            if (callback.DueAt - now > WaitOutAtMost)
                await ScheduleAgainAsync(callback, cancellationToken); // its due time moved on since its job fired
            else if (await MayQueueAsync(callback, consented.Contains(callback.CallerId), blocked.Contains(callback.CallerId), now, cancellationToken))
                ready.Add(callback);
        }
        if (ready.Count == 0)
            return;

        var queued = await QueueAllAsync(ready, now, cancellationToken) ?? await QueueEachAsync(ready, now, cancellationToken);
        await events.PublishAsync([.. queued.Select(q => q.Change)]);
        foreach (var (callback, _) in queued)
        {
            logger.LogInformation("Callback {CallbackId} is in the queue as contact {ContactId}, {Late} ms after its due time",
                callback.Id, callback.ContactId, (int)(now - callback.DueAt).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Puts the whole batch in the queue with a statement per table, not two per callback: on
    /// PostgreSQL each statement is a round trip, and in a surge those round trips, one batch after
    /// another, were what made callbacks late. Returns null, having changed nothing, when some
    /// callback was taken by another run meanwhile; then <see cref="QueueEachAsync"/> settles each.
    /// </summary>
    private async Task<List<(Callback Callback, QueueChange Change)>?> QueueAllAsync(List<Callback> ready, DateTime now, CancellationToken cancellationToken)
    {
        var ids = ready.Select(c => c.Id).ToList();
        var lastAttempts = ready.Where(c => c.Attempts + 1 >= c.MaxAttempts).Select(c => c.Id).ToList();
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        // Another run (a duplicate job, another node) updating the same rows waits for this one's
        // commit and then finds them no longer Scheduled: the count says whether this run won them all.
        var due = await db.Callbacks.Where(c => ids.Contains(c.Id) && c.Status == CallbackStatus.Scheduled)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Due).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (due != ids.Count)
            return null; // rolled back as the transaction is disposed
        var contactIds = ready.Select(c => c.ContactId).ToList();
        await db.Contacts.Where(c => contactIds.Contains(c.Id) && c.Status == ContactStatus.AwaitingCallback)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ContactStatus.Waiting)
                .SetProperty(c => c.Channel, c => c.Channel == ContactChannel.Phone ? ContactChannel.Callback : c.Channel)
                .SetProperty(c => c.QueuedAt, c => db.Callbacks.Where(b => ids.Contains(b.Id) && b.ContactId == c.Id).Select(b => (DateTime?)b.DueAt).First())
                .SetProperty(c => c.QueueExit, QueueExit.None)
                .SetProperty(c => c.Priority, c => db.Callbacks.Any(b => lastAttempts.Contains(b.Id) && b.ContactId == c.Id) ? ContactPriority.Urgent : c.Priority)
                .SetProperty(c => c.UpdatedAt, now), cancellationToken);
        var queued = ready.Select(callback => (callback, events.Record(QueueChangeKinds.ContactQueued, now, callback.ContactId))).ToList();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return queued;
    }

    /// <summary>The batch one callback at a time: each enters the queue only if this run wins it.</summary>
    private async Task<List<(Callback Callback, QueueChange Change)>> QueueEachAsync(List<Callback> ready, DateTime now, CancellationToken cancellationToken)
    {
        var queued = new List<(Callback Callback, QueueChange Change)>();
        await using (var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken))
        {
            foreach (var callback in ready)
            {
                // The single winner between two runs of this job (or two nodes): Scheduled becomes Due once.
                var due = await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == CallbackStatus.Scheduled)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Due).SetProperty(c => c.UpdatedAt, now), cancellationToken);
                if (due == 0)
                    continue;
                var lastAttempt = callback.Attempts + 1 >= callback.MaxAttempts;
                await db.Contacts.Where(c => c.Id == callback.ContactId && c.Status == ContactStatus.AwaitingCallback)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(c => c.Status, ContactStatus.Waiting)
                        .SetProperty(c => c.Channel, c => c.Channel == ContactChannel.Phone ? ContactChannel.Callback : c.Channel)
                        .SetProperty(c => c.QueuedAt, callback.DueAt)
                        .SetProperty(c => c.QueueExit, QueueExit.None)
                        .SetProperty(c => c.Priority, c => lastAttempt ? ContactPriority.Urgent : c.Priority)
                        .SetProperty(c => c.UpdatedAt, now), cancellationToken);
                queued.Add((callback, events.Record(QueueChangeKinds.ContactQueued, now, callback.ContactId)));
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return queued;
    }

    /// <summary>Fired far too early (the due time moved, or a stale job): the dispatcher schedules it again.</summary>
    private Task ScheduleAgainAsync(Callback callback, CancellationToken cancellationToken) =>
        dispatcher.ScheduleAgainAsync(db, [callback.Id], cancellationToken);

    /// <summary>
    /// Whether the callback may enter the queue now. One that may not is closed (consent withdrawn,
    /// number blocked, no allowed moment left) or moved to the next moment the caller's hours and
    /// the line's allow.
    /// </summary>
    private async Task<bool> MayQueueAsync(Callback callback, bool consented, bool blocked, DateTime now, CancellationToken cancellationToken)
    {
        var callbackId = callback.Id;
        if (!consented)
        {
            await CloseAsync(callback, CallbackStatus.Cancelled, ContactStatus.Cancelled, now, cancellationToken);
            logger.LogInformation("Callback {CallbackId} cancelled: the caller's consent to be called back is withdrawn", callbackId);
            return false;
        }

        if (blocked)
        {
            if (await CloseAsync(callback, CallbackStatus.Cancelled, ContactStatus.Cancelled, now, cancellationToken))
            {
                db.AuditEntries.Add(new Audit.AuditEntry { At = now, Action = "callback.blocked", ContactId = callback.ContactId, Details = "the number is blocked; callback cancelled" });
                await db.SaveChangesAsync(cancellationToken);
            }
            logger.LogInformation("Callback {CallbackId} cancelled: the number has been blocked", callbackId);
            return false;
        }

        if (!CallbackRules.MayCallNow(callback, now, hours))
        {
            var next = CallbackWindow.FirstDueTime(now, callback.TimeZone, callback.WindowStartLocal, callback.WindowEndLocal, hours);
            if (next is null)
            {
                await CloseAsync(callback, CallbackStatus.Missed, ContactStatus.Missed, now, cancellationToken);
                logger.LogWarning("Callback {CallbackId} missed: no moment in the caller's window while the line is open in the next two weeks", callbackId);
                return false;
            }
            await db.Callbacks.Where(c => c.Id == callbackId && c.Status == CallbackStatus.Scheduled)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.DueAt, next.Value).SetProperty(c => c.JobId, (string?)null).SetProperty(c => c.UpdatedAt, now), cancellationToken);
            dispatcher.Wake();
            logger.LogInformation("Callback {CallbackId} moved to {DueAt:o}: outside the caller's hours or the line's", callbackId, next.Value);
            return false;
        }
        return true;
    }

    /// <summary>Closes a callback still scheduled and its contact; false if another run closed or queued it first.</summary>
    private async Task<bool> CloseAsync(Callback callback, CallbackStatus status, ContactStatus contactStatus, DateTime now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        var closed = await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == CallbackStatus.Scheduled)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, status).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (closed == 1)
        {
            await db.Contacts.Where(c => c.Id == callback.ContactId && c.Status == ContactStatus.AwaitingCallback)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, contactStatus).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return closed == 1;
    }
}

/// <summary>The checks that run when a callback's job fires and again when an advisor dials (with the number not blocked).</summary>
public static class CallbackRules
{
    public static Task<bool> HasConsentAsync(HelplineDb db, long callerId, CancellationToken cancellationToken = default) =>
        db.IsGrantedAsync(callerId, ConsentKind.CallBack, cancellationToken);

    /// <summary>Inside the caller's window (never before 8:00 or after 21:00 their time) and while the line is open.</summary>
    public static bool MayCallNow(Callback callback, DateTime utc, OpeningHours hours) =>
        CallbackWindow.Allows(utc, TimeZoneInfo.FindSystemTimeZoneById(callback.TimeZone), callback.WindowStartLocal, callback.WindowEndLocal)
        && hours.IsOpen(utc);
}
