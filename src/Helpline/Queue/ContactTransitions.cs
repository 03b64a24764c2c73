using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Queue;

/// <summary>
/// The moves of a contact through its life: into the queue, claimed by an advisor, answered, wrapped
/// up, completed, or ended on the way (abandoned, sent to the crisis line, blocked, turned into a
/// callback). Each move is one conditional update on the contact's status, so the database settles a
/// race and exactly one request moves it; the change it records is committed and published with it
/// (see <see cref="QueueEvents.CommitAsync"/>). Each returns whether this request made the move.
/// The callback's own states belong to <see cref="Callbacks"/>; see docs/lifecycle.md.
/// </summary>
public sealed class ContactTransitions(HelplineDb db, QueueEvents events, HelplineTime time, OpeningHours hours)
{
    /// <summary>A caller in the menu joins the queue, calling for <paramref name="contactFor"/>.</summary>
    public Task<bool> EnqueueAsync(long contactId, ContactFor contactFor)
    {
        var now = time.UtcNow;
        return events.CommitAsync(async () =>
        {
            var queued = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.InMenu)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Waiting)
                    .SetProperty(c => c.For, contactFor)
                    .SetProperty(c => c.QueuedAt, c => c.QueuedAt ?? now)
                    .SetProperty(c => c.UpdatedAt, now));
            return queued == 1 ? [events.Record(QueueChangeKinds.ContactQueued, now, contactId)] : null;
        });
    }

    /// <summary>
    /// Nobody is signed in to take the caller: they stay in the menu (to leave a voicemail), with what
    /// they said they were calling for.
    /// </summary>
    public Task NoteWhoItIsForAsync(long contactId, ContactFor contactFor)
    {
        var now = time.UtcNow;
        return db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.InMenu)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.For, contactFor).SetProperty(c => c.UpdatedAt, now));
    }

    /// <summary>
    /// An advisor claims a waiting contact in one of <paramref name="languages"/> and becomes busy.
    /// Exactly one advisor wins a contact: this update and its row count decide.
    /// </summary>
    public Task<bool> ClaimAsync(long contactId, string advisorId, CallerLanguage[] languages)
    {
        var now = time.UtcNow;
        return events.CommitAsync(async () =>
        {
            var claimed = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && languages.Contains(c.Language))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Connecting)
                    .SetProperty(c => c.AdvisorId, advisorId)
                    .SetProperty(c => c.UpdatedAt, now));
            if (claimed == 0)
                return null;
            await Presences.SetAsync(db, time, advisorId, Presence.Busy, reason: null, now);
            return [events.Record(QueueChangeKinds.ContactTaken, now, contactId), events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId)];
        });
    }

    /// <summary>
    /// An advisor takes a waiting chat: there is no phone to ring, so it is under way at once. The
    /// advisor may hold up to <paramref name="limit"/> conversations, and none while on a call: the
    /// advisor's row is locked first, so two takes by one advisor are counted one after the other,
    /// and the contact's conditional update settles a race between advisors.
    /// </summary>
    public async Task<ChatClaim> ClaimChatAsync(long contactId, string advisorId, CallerLanguage[] languages, int limit)
    {
        var now = time.UtcNow;
        var outcome = ChatClaim.Lost;
        await events.CommitAsync(async () =>
        {
            var (refused, presence) = await ChatLoadAsync(advisorId, limit);
            if (refused is { } why)
            {
                outcome = why;
                return null;
            }
            var queuedAt = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.QueuedAt).SingleOrDefaultAsync();
            var (waited, waitedMs) = Waits.Since(queuedAt, now);
            var claimed = await db.Contacts
                .Where(c => c.Id == contactId && ContactChannels.Written.Contains(c.Channel) && c.Status == ContactStatus.Waiting && languages.Contains(c.Language))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.InProgress)
                    .SetProperty(c => c.AdvisorId, advisorId)
                    .SetProperty(c => c.AnsweredAt, now)
                    .SetProperty(c => c.WaitSeconds, waited)
                    .SetProperty(c => c.WaitMilliseconds, waitedMs)
                    .SetProperty(c => c.UpdatedAt, now));
            if (claimed == 0)
                return null;
            outcome = ChatClaim.Taken;
            return [events.Record(QueueChangeKinds.ContactTaken, now, contactId), .. presence == Presence.Busy ? [] : await AdvisorPresenceAsync(advisorId, Presence.Busy, now)];
        });
        return outcome;
    }

    /// <summary>
    /// An advisor hands a chat under way to another, who must be free to take it as if from the queue
    /// (in their languages, on no call, under the limit). The giver, with no other contact open, is
    /// available again; the taker is busy.
    /// </summary>
    public async Task<ChatClaim> TransferChatAsync(long contactId, string fromAdvisorId, string toAdvisorId, CallerLanguage[] toLanguages, int limit)
    {
        var now = time.UtcNow;
        var outcome = ChatClaim.Lost;
        await events.CommitAsync(async () =>
        {
            // Both advisors' rows, in one order, so two transfers between them wait rather than deadlock.
            await LockAdvisorsAsync(fromAdvisorId, toAdvisorId);
            var (refused, presence) = await ChatLoadAsync(toAdvisorId, limit);
            if (refused is { } why || presence is not (Presence.Available or Presence.Busy))
            {
                outcome = refused ?? ChatClaim.NotAvailable;
                return null;
            }
            var moved = await db.Contacts
                .Where(c => c.Id == contactId && ContactChannels.Written.Contains(c.Channel) && c.Status == ContactStatus.InProgress && c.AdvisorId == fromAdvisorId && toLanguages.Contains(c.Language))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.AdvisorId, toAdvisorId).SetProperty(c => c.UpdatedAt, now));
            if (moved == 0)
                return null;
            outcome = ChatClaim.Taken;
            return
            [
                events.Record(QueueChangeKinds.ContactUpdated, now, contactId),
                .. presence == Presence.Busy ? [] : await AdvisorPresenceAsync(toAdvisorId, Presence.Busy, now),
                .. await AvailableWhenIdleAsync(fromAdvisorId, now),
            ];
        });
        return outcome;
    }

    /// <summary>
    /// Inside a chat take's transaction: whether the advisor may hold one more chat (null) or why not,
    /// with their presence. Their row is locked first, so two takes for one advisor count one after the other.
    /// </summary>
    private async Task<(ChatClaim? Refused, Presence Presence)> ChatLoadAsync(string advisorId, int limit)
    {
        await LockAdvisorsAsync(advisorId);
        var presence = await db.Users.Where(u => u.Id == advisorId).Select(u => (Presence?)u.Presence).SingleOrDefaultAsync();
        if (presence is null)
            return (ChatClaim.Lost, Presence.Offline);
        var open = await db.Contacts.Where(c => c.AdvisorId == advisorId && QueueRowQueries.Active.Contains(c.Status))
            .GroupBy(c => ContactChannels.Written.Contains(c.Channel)).Select(g => new { Chat = g.Key, Count = g.Count() }).ToListAsync();
        if (open.Any(o => !o.Chat) || presence is Presence.WrapUp || presence is Presence.Busy && !open.Any(o => o.Chat))
            return (ChatClaim.OnACall, presence.Value);
        if (open.Where(o => o.Chat).Sum(o => o.Count) >= limit)
            return (ChatClaim.AtLimit, presence.Value);
        return (null, presence.Value);
    }

    /// <summary>
    /// Inside a transaction: locks the advisors' rows (a no-op update), in id order. What is then read
    /// of their open contacts stays true until the commit: on PostgreSQL another transaction changing
    /// them waits for it.
    /// </summary>
    private async Task LockAdvisorsAsync(params string[] advisorIds)
    {
        foreach (var id in advisorIds.Distinct().Order(StringComparer.Ordinal))
            await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.PresenceChangedAt, u => u.PresenceChangedAt));
    }

    /// <summary>
    /// A chat under way ends (the advisor ended it, or the person left): its talk time is recorded and
    /// it goes to wrap-up. The advisor stays busy: they may have other conversations open, and become
    /// available when they complete the last.
    /// </summary>
    public async Task<bool> EndChatAsync(long contactId, string advisorId)
    {
        var now = time.UtcNow;
        var answeredAt = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.AnsweredAt).SingleOrDefaultAsync();
        var talk = answeredAt is { } answered ? (int)Math.Max(0, (now - answered).TotalSeconds) : 0;
        return await events.CommitAsync(async () =>
        {
            var ended = await db.Contacts
                .Where(c => c.Id == contactId && ContactChannels.Written.Contains(c.Channel) && c.Status == ContactStatus.InProgress && c.AdvisorId == advisorId)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.WrapUp)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.TalkSeconds, talk)
                    .SetProperty(c => c.UpdatedAt, now));
            return ended == 0 ? null : [events.Record(QueueChangeKinds.ContactWrapUp, now, contactId)];
        });
    }

    /// <summary>The person left a chat while still waiting: abandoned, with how long they waited.</summary>
    public async Task<bool> AbandonChatAsync(long contactId)
    {
        var now = time.UtcNow;
        var queuedAt = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.QueuedAt).SingleOrDefaultAsync();
        var (waited, waitedMs) = Waits.Since(queuedAt, now);
        return await events.CommitAsync(async () =>
        {
            var abandoned = await MarkAbandonedAsync(
                db.Contacts.Where(c => c.Id == contactId && ContactChannels.Written.Contains(c.Channel) && c.Status == ContactStatus.Waiting), waited, waitedMs, now);
            return abandoned == 1 ? [events.Record(QueueChangeKinds.ContactLeftQueue, now, contactId)] : null;
        });
    }

    /// <summary>
    /// A contact being connected goes back to its place in line (its place is unchanged) and the
    /// advisor's presence is set, e.g. on break with "missed a call".
    /// </summary>
    public Task<bool> ReleaseAsync(long contactId, string advisorId, Presence presence, string? reason)
    {
        var now = time.UtcNow;
        return events.CommitAsync(async () =>
        {
            var released = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.Connecting && c.AdvisorId == advisorId)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Waiting)
                    .SetProperty(c => c.AdvisorId, (string?)null)
                    .SetProperty(c => c.AdvisorCallSid, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now));
            if (released == 0)
                return null;
            await Presences.SetAsync(db, time, advisorId, presence, reason, now);
            return [events.Record(QueueChangeKinds.ContactReturned, now, contactId), events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId)];
        });
    }

    /// <summary>The caller and the advisor are both on the line: the wait ends and the conversation starts.</summary>
    public Task<bool> AnswerAsync(Contact contact)
    {
        var now = time.UtcNow;
        var (waited, waitedMs) = Waits.Since(contact.QueuedAt, now);
        return events.CommitAsync(async () =>
        {
            var answered = await db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Connecting)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.InProgress)
                    .SetProperty(c => c.AnsweredAt, now)
                    .SetProperty(c => c.WaitSeconds, waited)
                    .SetProperty(c => c.WaitMilliseconds, waitedMs)
                    .SetProperty(c => c.UpdatedAt, now));
            return answered == 0 ? null : [events.Record(QueueChangeKinds.ContactAnswered, now, contact.Id)];
        });
    }

    /// <summary>
    /// Either side hung up a connected call: talk time is recorded and the advisor goes to wrap-up. A
    /// callback being made has reached its caller. Both legs report their end and either may come
    /// first, so whichever ends the conversation settles the callback too.
    /// </summary>
    public async Task<bool> WrapUpAsync(long contactId)
    {
        var now = time.UtcNow;
        var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
        var talk = contact.AnsweredAt is { } answered ? (int)Math.Max(0, (now - answered).TotalSeconds) : 0;
        return await events.CommitAsync(async () =>
        {
            var ended = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.InProgress)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.WrapUp)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.TalkSeconds, talk)
                    .SetProperty(c => c.UpdatedAt, now));
            if (ended == 0)
                return null;
            await db.Callbacks.Where(c => c.ContactId == contactId && c.Status == CallbackStatus.InProgress)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, CallbackStatus.Completed)
                    .SetProperty(c => c.LastOutcome, CallbackOutcome.Reached)
                    .SetProperty(c => c.UpdatedAt, now));
            return [events.Record(QueueChangeKinds.ContactWrapUp, now, contactId), .. await AdvisorPresenceAsync(contact.AdvisorId, Presence.WrapUp, now)];
        });
    }

    /// <summary>
    /// Wrap-up ends with a disposition: the contact is completed and its advisor, if still in wrap-up,
    /// available again. <paramref name="alongside"/> writes what the wrap-up adds (notes, audit,
    /// a follow-up) in the same transaction.
    /// </summary>
    public Task<bool> CompleteAsync(Contact contact, Disposition disposition, Func<DateTime, Task> alongside)
    {
        var now = time.UtcNow;
        var wrapUp = contact.EndedAt is { } ended ? (int)Math.Max(0, (now - ended).TotalSeconds) : 0;
        return events.CommitAsync(async () =>
        {
            var completed = await db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.WrapUp)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Completed)
                    .SetProperty(c => c.Disposition, disposition)
                    .SetProperty(c => c.WrapUpEndedAt, now)
                    .SetProperty(c => c.WrapUpSeconds, wrapUp)
                    .SetProperty(c => c.WrapUpDraft, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now));
            if (completed == 0)
                return null;
            var changes = new List<QueueChange> { events.Record(QueueChangeKinds.ContactCompleted, now, contact.Id) };
            // After a call the advisor is in wrap-up; after a chat, busy until their last conversation is completed.
            if (contact.AdvisorId is { } advisorId && contact.Channel.IsWritten())
            {
                await LockAdvisorsAsync(advisorId);
                changes.AddRange(await AvailableWhenIdleAsync(advisorId, now));
            }
            else if (contact.AdvisorId is { } callAdvisorId)
            {
                await Presences.SetAsync(db, time, callAdvisorId, Presence.Available, reason: null, now, onlyFrom: [Presence.WrapUp]);
                changes.Add(events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: callAdvisorId));
            }
            await alongside(now);
            return [.. changes];
        });
    }

    /// <summary>
    /// A caller still on the line hung up while waiting. One who pressed 1 has hung up keeping their
    /// place as a callback, and is not abandoned. Twilio's own count of seconds in its queue is used when given.
    /// </summary>
    public Task<bool> AbandonAsync(Contact contact, int? queueSeconds)
    {
        var now = time.UtcNow;
        var (ownSeconds, waitedMs) = Waits.Since(contact.QueuedAt, now);
        var waited = queueSeconds ?? ownSeconds;
        return events.CommitAsync(async () =>
        {
            var abandoned = await MarkAbandonedAsync(
                db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone),
                waited, waitedMs, now);
            return abandoned == 1 ? [events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id)] : null;
        });
    }

    /// <summary>The caller hung up while the advisor's phone was ringing: abandoned; the advisor is free again.</summary>
    public Task<bool> AbandonWhileConnectingAsync(Contact contact)
    {
        var now = time.UtcNow;
        var (waited, waitedMs) = Waits.Since(contact.QueuedAt, now);
        return events.CommitAsync(async () =>
        {
            var abandoned = await MarkAbandonedAsync(db.Contacts.Where(c => c.Id == contact.Id && c.Status == ContactStatus.Connecting), waited, waitedMs, now);
            if (abandoned == 0)
                return null;
            return [events.Record(QueueChangeKinds.ContactLeftQueue, now, contact.Id), .. await AdvisorPresenceAsync(contact.AdvisorId, Presence.Available, now)];
        });
    }

    /// <summary>The caller, in the menu or waiting, is put through to the crisis line.</summary>
    public Task<bool> TransferToCrisisLineAsync(long contactId)
    {
        var now = time.UtcNow;
        return events.CommitAsync(async () =>
        {
            var moved = await db.Contacts
                .Where(c => c.Id == contactId && (c.Status == ContactStatus.InMenu || c.Status == ContactStatus.Waiting))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.TransferredToCrisisLine)
                    .SetProperty(c => c.CrisisTransferredAt, now)
                    .SetProperty(c => c.EndedAt, now)
                    .SetProperty(c => c.UpdatedAt, now));
            return moved == 1 ? [events.Record(QueueChangeKinds.ContactLeftQueue, now, contactId)] : null;
        });
    }

    /// <summary>
    /// A call in the menu from a blocked number: the contact is kept (blocked, ended now) so the refusal
    /// shows in reports and the audit trail, and it never reaches the queue, so dashboards hear nothing.
    /// </summary>
    public async Task<bool> BlockAsync(long contactId, DateTime now)
    {
        var marked = await db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.InMenu)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.Blocked).SetProperty(c => c.EndedAt, now).SetProperty(c => c.UpdatedAt, now));
        if (marked == 0)
            return false;
        db.AuditEntries.Add(new AuditEntry { At = now, Action = "call.blocked", ContactId = contactId, Details = "the number is blocked; not queued" });
        await db.SaveChangesAsync();
        return true;
    }

    /// <summary>The caller hung up in the menu (or left no voicemail): the contact ends there, never having been in the queue.</summary>
    public Task EndInMenuAsync(long contactId)
    {
        var now = time.UtcNow;
        return db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.InMenu)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.EndedInMenu).SetProperty(c => c.EndedAt, now));
    }

    /// <summary>
    /// A waiting caller Twilio let go of (the wait loop sent them to voicemail, or its queue failed) is
    /// back in the menu, out of the queue, to leave a voicemail.
    /// </summary>
    public Task<bool> BackToMenuAsync(long contactId)
    {
        var now = time.UtcNow;
        return events.CommitAsync(async () =>
        {
            var back = await db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ContactStatus.InMenu).SetProperty(c => c.UpdatedAt, now));
            return back == 1 ? [events.Record(QueueChangeKinds.ContactLeftQueue, now, contactId)] : null;
        });
    }

    /// <summary>
    /// A caller in the menu left a voicemail: the contact ends, and waits for the callback it asked for,
    /// due at the first moment inside the caller's hours when the line is open.
    /// </summary>
    public async Task<Callback> LeaveVoicemailAsync(Contact contact, Caller caller, string recordingUrl, string? recordingSid, int recordingSeconds)
    {
        var now = time.UtcNow;
        var due = CallbackWindow.DueTime(now, caller.TimeZone, CallbackWindow.Earliest, CallbackWindow.Latest, hours);
        var callback = Callback.Promised(contact.Id, caller.Id, caller.TimeZone, CallbackWindow.Earliest, CallbackWindow.Latest, due, now);
        await events.CommitAsync(() =>
        {
            contact.Channel = ContactChannel.Voicemail;
            contact.Status = ContactStatus.AwaitingCallback;
            contact.RecordingUrl = recordingUrl;
            contact.RecordingSid = recordingSid;
            contact.RecordingSeconds = recordingSeconds;
            contact.EndedAt = now;
            contact.UpdatedAt = now;
            db.Consents.Add(Consent.ToCallBack(caller.Id, contact.Id, Calls.Prompts.VoicemailConsentVersion, ConsentSource.Voicemail, now));
            db.Callbacks.Add(callback);
            return Task.FromResult<QueueChange[]?>([events.Record(QueueChangeKinds.ContactUpdated, now, contact.Id)]);
        });
        return callback;
    }

    /// <summary>
    /// Press 1 while waiting: the caller hangs up and keeps their place. The contact stays in the queue
    /// as a callback due now, taken like any other (the advisor is rung first, then the caller). Outside
    /// the caller's own hours, or once the line has closed, it leaves the queue until the first moment
    /// both allow. Returns the callback, or null if the caller had already left the queue.
    /// </summary>
    public async Task<Callback?> KeepPlaceAsCallbackAsync(long contactId, long callerId)
    {
        var now = time.UtcNow;
        var timeZone = await db.Callers.Where(c => c.Id == callerId).Select(c => c.TimeZone).SingleAsync();
        var callback = Callback.Promised(contactId, callerId, timeZone, CallbackWindow.Earliest, CallbackWindow.Latest, now, now);
        var callableNow = CallbackRules.MayCallNow(callback, now, hours);
        if (callableNow)
            callback.Status = CallbackStatus.Due;
        else
            callback.DueAt = CallbackWindow.DueTime(now, timeZone, callback.WindowStartLocal, callback.WindowEndLocal, hours);
        var kept = await events.CommitAsync(async () =>
        {
            var kept = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Channel == ContactChannel.Phone)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Channel, ContactChannel.Callback)
                    .SetProperty(c => c.Status, callableNow ? ContactStatus.Waiting : ContactStatus.AwaitingCallback)
                    .SetProperty(c => c.UpdatedAt, now));
            if (kept == 0)
                return null;
            db.Consents.Add(Consent.ToCallBack(callerId, contactId, Calls.Prompts.CallbackConsentVersion, ConsentSource.PhoneKeypad, now));
            db.Callbacks.Add(callback);
            return [events.Record(callableNow ? QueueChangeKinds.ContactUpdated : QueueChangeKinds.ContactLeftQueue, now, contactId)];
        });
        return kept ? callback : null;
    }

    private static Task<int> MarkAbandonedAsync(IQueryable<Contact> leaving, int waited, int waitedMs, DateTime now) =>
        leaving.ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, ContactStatus.Abandoned)
            .SetProperty(c => c.WaitSeconds, waited)
            .SetProperty(c => c.WaitMilliseconds, waitedMs)
            .SetProperty(c => c.EndedAt, now)
            .SetProperty(c => c.UpdatedAt, now));

    /// <summary>
    /// Inside a chat's transaction, with the advisor's row locked: one busy only with chats is available
    /// again once they hold no contact, and the change is recorded.
    /// </summary>
    private async Task<QueueChange[]> AvailableWhenIdleAsync(string advisorId, DateTime now)
    {
        if (await db.Contacts.AnyAsync(c => c.AdvisorId == advisorId && QueueRowQueries.Active.Contains(c.Status)))
            return [];
        await Presences.SetAsync(db, time, advisorId, Presence.Available, reason: null, now, onlyFrom: [Presence.Busy]);
        return [events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId)];
    }

    /// <summary>Inside a transition's transaction: the advisor, if any, moves to <paramref name="presence"/>, and the change is recorded.</summary>
    private async Task<QueueChange[]> AdvisorPresenceAsync(string? advisorId, Presence presence, DateTime now)
    {
        if (advisorId is null)
            return [];
        await Presences.SetAsync(db, time, advisorId, presence, reason: null, now);
        return [events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId)];
    }
}

public enum ChatClaim
{
    Taken,
    /// <summary>Another advisor took it first, it left the queue, or it is not in the advisor's languages.</summary>
    Lost,
    /// <summary>The advisor is on a call or wrapping one up.</summary>
    OnACall,
    /// <summary>The advisor already holds as many conversations as supervisors allow.</summary>
    AtLimit,
    /// <summary>A transfer's advisor is on break or offline.</summary>
    NotAvailable,
}
