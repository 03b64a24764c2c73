using System.Globalization;
using Helpline.Accounts;
using Helpline.Bridge;
using Helpline.Calls;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Callbacks;

/// <summary>
/// Calling a callback's caller once the advisor is on the line: the same checks as the job, again
/// (consent, quiet hours, opening hours), the hotline or a neutral caller ID, and the outcome of
/// the attempt: reached, no answer or voicemail left (another attempt later inside the window, missed
/// after the last), or a wrong number (the advisor's disposition).
/// </summary>
public sealed class CallbackDialling(
    HelplineDb db,
    QueueEvents events,
    ITelephonyGateway gateway,
    PublicUrls urls,
    HelplineTime time,
    OpeningHours hours,
    CallbackDispatcher dispatcher,
    IOptions<CallbackOptions> options,
    IOptions<HelplineOptions> helpline,
    ILogger<CallbackDialling> logger)
{
    /// <summary>The callback a contact in the queue is for, if it is one.</summary>
    public Task<Callback?> CallbackOfAsync(long contactId) =>
        db.Callbacks.AsNoTracking().Where(c => c.ContactId == contactId && (c.Status == CallbackStatus.Due || c.Status == CallbackStatus.InProgress))
            .OrderByDescending(c => c.Id).FirstOrDefaultAsync();

    /// <summary>May this callback's caller be called right now? Consent, their window, the line's hours, a number not blocked.</summary>
    public async Task<bool> MayCallAsync(Callback callback) =>
        await CallbackRules.HasConsentAsync(db, callback.CallerId) && CallbackRules.MayCallNow(callback, time.UtcNow, hours)
        && !await Blocking.BlockedNumbers.IsCallerBlockedAsync(db, callback.CallerId, time.UtcNow);

    /// <summary>The advisor answered: check again, then ring the caller into the conference.</summary>
    public async Task<bool> CallCallerAsync(Contact contact)
    {
        var callback = await CallbackOfAsync(contact.Id);
        var caller = await db.Callers.AsNoTracking().SingleOrDefaultAsync(c => c.Id == contact.CallerId);
        if (callback is null || caller?.PhoneNumber is null || !await MayCallAsync(callback))
        {
            logger.LogInformation("Callback for contact {ContactId} not dialled: no longer allowed now", contact.Id);
            return false;
        }
        var mayLeaveMessage = await db.IsGrantedAsync(caller.Id, ConsentKind.LeaveVoicemail);
        // The attempt is recorded before the call is placed: Twilio may report the caller's leg (busy,
        // or answered and already ended) before its answer to the request comes back, and that report
        // must find the attempt, not have it written over afterwards. A call the network refuses is an
        // attempt made, and counts towards the callback's last one.
        var now = time.UtcNow;
        var late = (int)Math.Max(0, (now - callback.DueAt).TotalSeconds);
        await db.Callbacks.Where(c => c.Id == callback.Id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, CallbackStatus.InProgress)
            .SetProperty(c => c.Attempts, c => c.Attempts + 1)
            .SetProperty(c => c.LastAttemptAt, now)
            .SetProperty(c => c.FirstAttemptAt, c => c.FirstAttemptAt ?? now)
            .SetProperty(c => c.FirstAttemptLateSeconds, c => c.FirstAttemptLateSeconds ?? late)
            .SetProperty(c => c.UpdatedAt, now));
        var calleeCall = await gateway.PlaceCallAsync(new OutboundCall(
            To: caller.PhoneNumber,
            From: await ShownNumberAsync(caller.Id),
            TwimlUrl: urls.For(BridgeUrls.Caller(contact.Id)),
            StatusCallbackUrl: urls.For(BridgeUrls.CalleeStatus(contact.Id)),
            RingSeconds: options.Value.RingSeconds,
            // A machine never joins the advisor; where a message may be left, wait for the beep.
            Machine: mayLeaveMessage ? MachineDetection.DetectMessageEnd : MachineDetection.Detect));
        // Unless the leg's first request has claimed it already, or its end has already put the contact back.
        await db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Connecting && c.CalleeCallSid == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.CalleeCallSid, calleeCall));
        // The advisor's dashboard says the caller's phone is ringing now, not "Connecting".
        await events.CommitAsync(() => Task.FromResult<QueueChange[]?>([events.Record(QueueChangeKinds.ContactUpdated, now, contact.Id)]));
        return true;
    }

    /// <summary>The hotline's number, or the neutral one if the caller asked for discretion (and one is configured).</summary>
    private async Task<string> ShownNumberAsync(long callerId) =>
        await db.IsGrantedAsync(callerId, ConsentKind.NeutralCallerId) && !string.IsNullOrEmpty(options.Value.NeutralCallerId)
            ? options.Value.NeutralCallerId
            : helpline.Value.HotlineNumber;

    /// <summary>
    /// An answering machine picked up the caller's leg. A message is left only if the caller allowed it
    /// (asked again now) and the greeting has ended; with the neutral script if they asked for discretion.
    /// The attempt counts as not reached either way. Returns what to say, or null to hang up in silence.
    /// </summary>
    public async Task<string?> MachineAnsweredAsync(Contact contact, bool atMessageEnd)
    {
        string? message = null;
        if (atMessageEnd && contact.CallerId is { } callerId && await db.IsGrantedAsync(callerId, ConsentKind.LeaveVoicemail))
        {
            var prompts = Prompts.For(contact.Language);
            var number = Prompts.Spoken(await ShownNumberAsync(callerId));
            message = await db.IsGrantedAsync(callerId, ConsentKind.NeutralVoicemail)
                ? string.Format(CultureInfo.InvariantCulture, prompts.NeutralVoicemail, number)
                : string.Format(CultureInfo.InvariantCulture, prompts.CallbackVoicemail, helpline.Value.Name, number);
        }
        await AttemptFailedAsync(contact, message is null ? CallbackOutcome.NoAnswer : CallbackOutcome.VoicemailLeft,
            message is null ? "answering machine, no message left" : "voicemail left");
        return message;
    }

    /// <summary>
    /// The caller was not reached (or could not be called now, when <paramref name="outcome"/> is null):
    /// another attempt after the retry delay, inside their window, or missed after the last attempt.
    /// The advisor is free again.
    /// </summary>
    public async Task AttemptFailedAsync(Contact contact, CallbackOutcome? outcome, string why)
    {
        var callback = await CallbackOfAsync(contact.Id);
        var now = time.UtcNow;
        await events.CommitAsync(async () =>
        {
            if (callback is not null)
                await ScheduleNextAttemptAsync(callback, contact.Id, outcome, why, now);
            var changes = new List<QueueChange> { events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id) };
            if (contact.AdvisorId is { } advisorId)
            {
                await Presences.SetAsync(db, time, advisorId, Presence.Available, reason: null, now);
                changes.Add(events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId));
            }
            return [.. changes];
        });
        dispatcher.Wake();
        if (contact.AdvisorCallSid is { } advisorCall)
        {
            try
            {
                await gateway.HangUpAsync(advisorCall);
            }
            catch (TelephonyException)
            {
                // The advisor's phone has most likely hung up already.
            }
        }
    }

    /// <summary>Inside the attempt's transaction: another attempt after the retry delay, inside the caller's window, or missed after the last.</summary>
    private async Task ScheduleNextAttemptAsync(Callback callback, long contactId, CallbackOutcome? outcome, string why, DateTime now)
    {
        var missed = callback.Attempts >= callback.MaxAttempts;
        var next = missed ? null : CallbackWindow.FirstDueTime(now.AddMinutes(options.Value.RetryDelayMinutes), callback.TimeZone, callback.WindowStartLocal, callback.WindowEndLocal, hours);
        await db.Callbacks.Where(c => c.Id == callback.Id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, next is null ? CallbackStatus.Missed : CallbackStatus.Scheduled)
            .SetProperty(c => c.DueAt, c => next ?? c.DueAt)
            .SetProperty(c => c.JobId, (string?)null)
            .SetProperty(c => c.LastOutcome, c => outcome ?? c.LastOutcome)
            .SetProperty(c => c.UpdatedAt, now));
        await db.Contacts.Where(c => c.Id == contactId).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, next is null ? ContactStatus.Missed : ContactStatus.AwaitingCallback)
            .SetProperty(c => c.AdvisorId, (string?)null)
            .SetProperty(c => c.AdvisorCallSid, (string?)null)
            .SetProperty(c => c.CalleeCallSid, (string?)null)
            .SetProperty(c => c.UpdatedAt, now));
        logger.LogInformation("Callback {CallbackId} attempt failed ({Why}); {Next}", callback.Id, why, next is null ? "missed" : "trying again later");
    }
}
