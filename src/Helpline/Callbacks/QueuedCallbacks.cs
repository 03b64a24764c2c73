using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Callbacks;

/// <summary>
/// Callbacks that are in the queue (due) but whose caller may no longer be called leave it at once,
/// with their reason, so nobody is offered a contact they may not take and take-next never stalls on
/// one: consent withdrawn or the number blocked (cancelled), or the caller's hours or the line's
/// ended (moved to the first moment both allow again, or missed when none comes in two weeks).
/// </summary>
public sealed class QueuedCallbacks(
    HelplineDb db,
    QueueEvents events,
    HelplineTime time,
    OpeningHours hours,
    CallbackDispatcher dispatcher,
    ITelephonyGateway gateway,
    ILogger<QueuedCallbacks> logger)
{
    /// <summary>Why a callback may not be made now, or null if it may.</summary>
    public async Task<string?> WhyNotNowAsync(Callback callback, DateTime now, CancellationToken cancellationToken = default)
    {
        if (!await CallbackRules.HasConsentAsync(db, callback.CallerId, cancellationToken))
            return Reasons.ConsentWithdrawn;
        if (await Blocking.BlockedNumbers.IsCallerBlockedAsync(db, callback.CallerId, now, cancellationToken))
            return Reasons.Blocked;
        return CallbackRules.MayCallNow(callback, now, hours) ? null : Reasons.OutsideHours;
    }

    /// <summary>
    /// Takes a due callback out of the queue if its caller may not be called now. Returns true when it
    /// left the queue here; false when it may be called, or was taken or settled meanwhile.
    /// </summary>
    public async Task<bool> TakeOutIfUncallableAsync(Callback callback, CancellationToken cancellationToken = default)
    {
        var now = time.UtcNow;
        return await WhyNotNowAsync(callback, now, cancellationToken) is { } why && await TakeOutAsync(callback, why, now, cancellationToken);
    }

    /// <summary>
    /// Every due callback still waiting in the queue whose caller's hours (or the line's) have ended
    /// leaves it. Consent and blocks are settled where they change; this is the timer for the clock.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = time.UtcNow;
        var due = await db.Callbacks.AsNoTracking()
            .Where(c => c.Status == CallbackStatus.Due && db.Contacts.Any(k => k.Id == c.ContactId && k.Status == ContactStatus.Waiting))
            .ToListAsync(cancellationToken);
        var left = 0;
        foreach (var callback in due.Where(c => !CallbackRules.MayCallNow(c, now, hours)))
        {
            if (await TakeOutAsync(callback, Reasons.OutsideHours, now, cancellationToken))
                left++;
        }
        return left;
    }

    /// <summary>
    /// Inside the caller's transaction (the block itself): every callback of the number that has not
    /// been made is cancelled, whether scheduled, due in the queue, or being dialled while the advisor's
    /// phone rings. A conversation already under way is left to the advisor. Returns the contacts
    /// cancelled, the queue changes to publish once committed, and the calls to hang up then.
    /// </summary>
    public async Task<BlockedCallbacks> CancelForBlockAsync(string phoneHash, long blockId, string? userId, string? userName, DateTime now)
    {
        var open = await db.Callbacks.AsNoTracking()
            .Where(c => c.Caller!.PhoneHash == phoneHash
                && (c.Status == CallbackStatus.Scheduled || c.Status == CallbackStatus.Due || c.Status == CallbackStatus.InProgress))
            .Select(c => new { Callback = c, Contact = c.Contact! })
            .ToListAsync();
        var cancelled = new List<long>();
        var changes = new List<QueueChange>();
        var hangUps = new List<string>();
        foreach (var (callback, contact) in open.Select(o => (o.Callback, o.Contact)))
        {
            // Only from a state where no conversation has started: the contact's status says which.
            var from = callback.Status switch
            {
                CallbackStatus.Scheduled => ContactStatus.AwaitingCallback,
                CallbackStatus.Due => ContactStatus.Waiting,
                _ => ContactStatus.Connecting,
            };
            var closed = await db.Contacts.Where(c => c.Id == contact.Id && c.Status == from)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Cancelled)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.UpdatedAt, now));
            if (closed == 0)
                continue;
            await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == callback.Status)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Cancelled).SetProperty(c => c.JobId, (string?)null).SetProperty(c => c.UpdatedAt, now));
            cancelled.Add(contact.Id);
            db.AuditEntries.Add(new AuditEntry
            {
                At = now, UserId = userId, UserName = userName, Action = "callback.blocked",
                ContactId = contact.Id, Details = $"block {blockId}: the callback is cancelled",
            });
            if (from == ContactStatus.AwaitingCallback)
                continue;
            changes.Add(events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id));
            if (from == ContactStatus.Connecting && contact.AdvisorId is { } advisorId)
            {
                await Presences.SetAsync(db, time, advisorId, Presence.Available, reason: null, now);
                changes.Add(events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId));
                hangUps.AddRange(new[] { contact.AdvisorCallSid, contact.CalleeCallSid }.OfType<string>());
            }
        }
        await db.SaveChangesAsync();
        return new BlockedCallbacks(cancelled, changes, hangUps);
    }

    /// <summary>After the block's transaction commits: dashboards hear of it, and phones still ringing for it stop.</summary>
    public async Task AfterBlockAsync(BlockedCallbacks blocked)
    {
        await events.PublishAsync([.. blocked.Changes]);
        foreach (var call in blocked.HangUps)
        {
            try
            {
                await gateway.HangUpAsync(call);
            }
            catch (TelephonyException e)
            {
                logger.LogInformation(e, "Call {CallSid} of a blocked number's callback could not be hung up; it ends by itself", call);
            }
        }
    }

    /// <summary>
    /// Contacts an earlier version left in the queue when the caller pressed 1 (marked as having left
    /// Twilio's queue, with no callback to make) get the callback they were promised, due now.
    /// </summary>
    public async Task<int> RepairKeptPlacesAsync(CancellationToken cancellationToken = default)
    {
        var stranded = await db.Contacts.AsNoTracking()
            .Where(c => c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.Callback && c.CallerId != null)
            .Select(c => new { c.Id, CallerId = c.CallerId!.Value, c.Caller!.TimeZone })
            .ToListAsync(cancellationToken);
        var now = time.UtcNow;
        foreach (var contact in stranded)
        {
            await events.CommitAsync(async () =>
            {
                var repaired = await db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.Callback)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.QueueExit, QueueExit.None).SetProperty(c => c.Channel, ContactChannel.Callback).SetProperty(c => c.UpdatedAt, now), cancellationToken);
                if (repaired == 0)
                    return null;
                db.Callbacks.Add(new Callback
                {
                    ContactId = contact.Id, CallerId = contact.CallerId, Status = CallbackStatus.Due, DueAt = now, TimeZone = contact.TimeZone,
                    WindowStartLocal = CallbackWindow.Earliest, WindowEndLocal = CallbackWindow.Latest, CreatedAt = now, UpdatedAt = now,
                });
                return [events.Record(QueueChangeKinds.ContactUpdated, now, contact.Id)];
            }, cancellationToken);
        }
        if (stranded.Count > 0)
            logger.LogWarning("{Count} contact(s) that pressed 1 under an earlier version were given their callback", stranded.Count);
        return stranded.Count;
    }

    private async Task<bool> TakeOutAsync(Callback callback, string why, DateTime now, CancellationToken cancellationToken)
    {
        var next = why == Reasons.OutsideHours
            ? CallbackWindow.FirstDueTime(now, callback.TimeZone, callback.WindowStartLocal, callback.WindowEndLocal, hours)
            : null;
        var (callbackStatus, contactStatus) = why switch
        {
            Reasons.OutsideHours when next is not null => (CallbackStatus.Scheduled, ContactStatus.AwaitingCallback),
            Reasons.OutsideHours => (CallbackStatus.Missed, ContactStatus.Missed),
            _ => (CallbackStatus.Cancelled, ContactStatus.Cancelled),
        };
        var tookOut = await events.CommitAsync(async () =>
        {
            // Still waiting and still due: an advisor who took it meanwhile keeps it (the dial re-checks).
            var left = await db.Contacts.Where(c => c.Id == callback.ContactId && c.Status == ContactStatus.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, contactStatus).SetProperty(c => c.UpdatedAt, now), cancellationToken);
            var moved = left == 0 ? 0 : await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == CallbackStatus.Due)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, callbackStatus)
                    .SetProperty(c => c.DueAt, c => next ?? c.DueAt)
                    .SetProperty(c => c.JobId, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now), cancellationToken);
            if (moved == 0)
                return null;
            if (why == Reasons.Blocked)
                db.AuditEntries.Add(new AuditEntry { At = now, Action = "callback.blocked", ContactId = callback.ContactId, Details = "the number is blocked; callback cancelled" });
            return [events.Record(QueueChangeKinds.ContactLeftQueue, now, callback.ContactId)];
        }, cancellationToken);
        if (!tookOut)
            return false;
        if (callbackStatus == CallbackStatus.Scheduled)
            dispatcher.Wake();
        logger.LogInformation("Callback {CallbackId} left the queue ({Why}): {Status}{Next}", callback.Id, why, callbackStatus,
            next is { } at ? $", due again at {at:o}" : "");
        return true;
    }

    public static class Reasons
    {
        public const string ConsentWithdrawn = "consent withdrawn";
        public const string Blocked = "number blocked";
        public const string OutsideHours = "outside the caller's hours or the line's";
    }
}

/// <summary>What a block did to the number's callbacks, for after its transaction commits.</summary>
public sealed record BlockedCallbacks(IReadOnlyList<long> ContactIds, IReadOnlyList<QueueChange> Changes, IReadOnlyList<string> HangUps);

/// <summary>
/// The timer that takes due callbacks out of the queue when the caller's hours (or the line's) end,
/// every <see cref="CallbackOptions.QueueCheckSeconds"/>, on every node (the updates are conditional).
/// At start it first gives callers who pressed 1 under an earlier version their callback.
/// </summary>
public sealed class QueuedCallbackWatch(IServiceScopeFactory scopes, TimeProvider clock, IOptions<CallbackOptions> options, ILogger<QueuedCallbackWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var repaired = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var queued = scope.ServiceProvider.GetRequiredService<QueuedCallbacks>();
                if (!repaired)
                {
                    await queued.RepairKeptPlacesAsync(stoppingToken);
                    repaired = true;
                }
                await queued.SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not check the callbacks waiting in the queue; trying again at the next check");
            }
            await Task.Delay(TimeSpan.FromSeconds(options.Value.QueueCheckSeconds), clock, stoppingToken);
        }
    }
}
