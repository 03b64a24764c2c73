using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Queue;

public enum TakeOutcome
{
    Taken,
    /// <summary>Someone else took it first (or it left the queue).</summary>
    Lost,
    NotFound,
    NotYourLanguage,
    AdvisorBusy,
    NoDialNumber,
    NothingWaiting,
    TelephonyFailed,
    /// <summary>A callback whose caller may not be called right now (consent withdrawn, or outside their hours).</summary>
    NotAllowedNow,
}

public sealed record TakeResult(TakeOutcome Outcome, QueueRow? Contact = null);

/// <summary>
/// Taking a contact from the shared queue, and bridging the caller and the advisor through a
/// conference. Exactly one advisor wins a contact: the database decides, with one conditional
/// update and its row count.
/// </summary>
public sealed class QueueTaking(
    HelplineDb db,
    QueueEvents events,
    ITelephonyGateway gateway,
    PublicUrls urls,
    HelplineTime time,
    IOptions<QueueOptions> queue,
    IOptions<HelplineOptions> helpline,
    Callbacks.CallbackDialling dialling,
    Callbacks.QueuedCallbacks queuedCallbacks,
    ILogger<QueueTaking> logger)
{
    public static string ConferenceName(long contactId) => $"contact-{contactId}";

    /// <summary>
    /// Takes the first waiting contact, in queue order, in a language the advisor speaks. A callback
    /// whose caller may not be called now leaves the queue on the way (see <see cref="Callbacks.QueuedCallbacks"/>)
    /// and the next contact is taken instead: nothing at the head of the line can stall it.
    /// </summary>
    public async Task<TakeResult> TakeNextAsync(StaffUser advisor)
    {
        var languages = LanguagesOf(advisor.Languages);
        var passed = new List<long>();
        // A few tries: between reading the head of the line and claiming it, another advisor may win it.
        for (var lost = 0; lost < 5 && passed.Count < MaxPassedOver;)
        {
            var next = await db.Contacts.AsNoTracking()
                .Where(c => c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && languages.Contains(c.Language) && !passed.Contains(c.Id))
                .InQueueOrder()
                .Select(c => (long?)c.Id)
                .FirstOrDefaultAsync();
            if (next is null)
                return new TakeResult(TakeOutcome.NothingWaiting);
            var result = await TakeAsync(advisor, next.Value, anyLanguage: false);
            switch (result.Outcome)
            {
                case TakeOutcome.Lost:
                    lost++;
                    break;
                case TakeOutcome.NotAllowedNow:
                    passed.Add(next.Value);
                    break;
                default:
                    return result;
            }
        }
        return new TakeResult(TakeOutcome.Lost);
    }

    /// <summary>How many contacts one take-next passes over (each one leaving the queue as it does) before it gives up.</summary>
    private const int MaxPassedOver = 50;

    public async Task<TakeResult> TakeAsync(StaffUser advisor, long contactId, bool anyLanguage)
    {
        if (advisor.Presence is Presence.Busy)
            return new TakeResult(TakeOutcome.AdvisorBusy);
        if (string.IsNullOrEmpty(advisor.DialNumber))
            return new TakeResult(TakeOutcome.NoDialNumber);

        var languages = anyLanguage ? [CallerLanguage.English, CallerLanguage.Spanish] : LanguagesOf(advisor.Languages);
        // A callback is checked again before anyone is rung: consent, the caller's hours, the line's, a
        // number not blocked. One that may not be made now leaves the queue with its reason.
        if (await dialling.CallbackOfAsync(contactId) is { } callback && !await dialling.MayCallAsync(callback))
        {
            await queuedCallbacks.TakeOutIfUncallableAsync(callback);
            return new TakeResult(TakeOutcome.NotAllowedNow);
        }
        var now = time.UtcNow;
        QueueChange taken, busy;
        await using (var transaction = await db.Database.BeginWriteTransactionAsync())
        {
            var claimed = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && languages.Contains(c.Language))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Connecting)
                    .SetProperty(c => c.AdvisorId, advisor.Id)
                    .SetProperty(c => c.UpdatedAt, now));
            if (claimed == 0)
            {
                await transaction.RollbackAsync();
                return await WhyNotAsync(contactId, languages);
            }
            await Presences.SetAsync(db, time, advisor.Id, Presence.Busy, reason: null, now);
            taken = events.Record(QueueChangeKinds.ContactTaken, now, contactId);
            busy = events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisor.Id);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await events.PublishAsync(taken, busy);
        logger.LogInformation("Contact {ContactId} taken by advisor {AdvisorId}", contactId, advisor.Id);

        var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
        try
        {
            await BridgeAsync(contact, advisor);
        }
        catch (TelephonyException)
        {
            await ReleaseAsync(contactId, advisor.Id, Presence.Available, reason: null);
            return new TakeResult(TakeOutcome.TelephonyFailed);
        }
        return new TakeResult(TakeOutcome.Taken, (await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).ToQueueRowsAsync()).Single());
    }

    /// <summary>
    /// Puts a contact being connected back at its place in line (its place is unchanged) and sets
    /// the advisor's presence, e.g. on break with "missed a call".
    /// </summary>
    public async Task<bool> ReleaseAsync(long contactId, string advisorId, Presence presence, string? reason)
    {
        var now = time.UtcNow;
        QueueChange back, presenceChange;
        await using (var transaction = await db.Database.BeginWriteTransactionAsync())
        {
            var released = await db.Contacts
                .Where(c => c.Id == contactId && c.Status == ContactStatus.Connecting && c.AdvisorId == advisorId)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ContactStatus.Waiting)
                    .SetProperty(c => c.AdvisorId, (string?)null)
                    .SetProperty(c => c.AdvisorCallSid, (string?)null)
                    .SetProperty(c => c.UpdatedAt, now));
            if (released == 0)
                return false;
            await Presences.SetAsync(db, time, advisorId, presence, reason, now);
            back = events.Record(QueueChangeKinds.ContactReturned, now, contactId);
            presenceChange = events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: advisorId);
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        await events.PublishAsync(back, presenceChange);
        return true;
    }

    private async Task BridgeAsync(Contact contact, StaffUser advisor)
    {
        if (contact.Channel == ContactChannel.Phone && contact.CallSid is { } callerCall)
        {
            // The live call leaves Twilio's queue for the contact's conference, where it waits for the advisor.
            await gateway.RedirectCallAsync(callerCall, urls.For($"/twilio/voice/bridge/caller?contact={contact.Id}"));
        }
        var advisorCall = await gateway.PlaceCallAsync(new OutboundCall(
            To: advisor.DialNumber!,
            From: helpline.Value.HotlineNumber,
            TwimlUrl: urls.For($"/twilio/voice/bridge/advisor?contact={contact.Id}"),
            StatusCallbackUrl: urls.For($"/twilio/voice/bridge/advisor-status?contact={contact.Id}"),
            RingSeconds: queue.Value.AdvisorRingSeconds));
        await db.Contacts.Where(c => c.Id == contact.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.AdvisorCallSid, advisorCall));
    }

    private async Task<TakeResult> WhyNotAsync(long contactId, CallerLanguage[] languages)
    {
        var contact = await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).Select(c => new { c.Status, c.Language }).SingleOrDefaultAsync();
        if (contact is null)
            return new TakeResult(TakeOutcome.NotFound);
        if (contact.Status == ContactStatus.Waiting && !languages.Contains(contact.Language))
            return new TakeResult(TakeOutcome.NotYourLanguage);
        return new TakeResult(TakeOutcome.Lost);
    }

    private static CallerLanguage[] LanguagesOf(AdvisorLanguages languages) =>
        [.. new[] { CallerLanguage.English, CallerLanguage.Spanish }.Where(l => languages.HasFlag(l.ToAdvisorLanguage()))];
}
