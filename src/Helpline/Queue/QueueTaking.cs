using Helpline.Accounts;
using Helpline.Bridge;
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
    /// <summary>The advisor already holds as many chats as supervisors allow.</summary>
    AtChatLimit,
    /// <summary>The advisor has chats open, and a call needs them whole.</summary>
    InChats,
}

public sealed record TakeResult(TakeOutcome Outcome, QueueRow? Contact = null);

/// <summary>
/// Taking a contact from the shared queue, and bridging the caller and the advisor through a
/// conference. Exactly one advisor wins a contact: the database decides, with one conditional
/// update and its row count.
/// </summary>
public sealed class QueueTaking(
    HelplineDb db,
    ContactTransitions transitions,
    ITelephonyGateway gateway,
    PublicUrls urls,
    IOptions<QueueOptions> queue,
    IOptions<HelplineOptions> helpline,
    Callbacks.CallbackDialling dialling,
    Callbacks.QueuedCallbacks queuedCallbacks,
    IOptions<Chat.ChatOptions> chat,
    Chat.Conversations conversations,
    ILogger<QueueTaking> logger)
{
    /// <summary>
    /// Takes the first waiting contact, in queue order, in a language the advisor speaks. A callback
    /// whose caller may not be called now leaves the queue on the way (see <see cref="Callbacks.QueuedCallbacks"/>)
    /// and the next contact is taken instead: nothing at the head of the line can stall it.
    /// </summary>
    public async Task<TakeResult> TakeNextAsync(StaffUser advisor)
    {
        var languages = LanguagesOf(advisor.Languages);
        // An advisor in chats takes only chats: a call needs them whole.
        var onlyChats = await InChatsAsync(advisor.Id);
        var passed = new List<long>();
        // A few tries: between reading the head of the line and claiming it, another advisor may win it.
        for (var lost = 0; lost < 5 && passed.Count < MaxPassedOver;)
        {
            var next = await db.Contacts.AsNoTracking()
                .Where(c => c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && languages.Contains(c.Language) && !passed.Contains(c.Id))
                .Where(c => !onlyChats || ContactChannels.Written.Contains(c.Channel))
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
        var languages = anyLanguage ? [CallerLanguage.English, CallerLanguage.Spanish] : LanguagesOf(advisor.Languages);
        if (await db.Contacts.Where(c => c.Id == contactId).Select(c => (ContactChannel?)c.Channel).SingleOrDefaultAsync() is { } channel && channel.IsWritten())
            return await TakeChatAsync(advisor, contactId, languages);
        if (advisor.Presence is Presence.Busy)
            return new TakeResult(await InChatsAsync(advisor.Id) ? TakeOutcome.InChats : TakeOutcome.AdvisorBusy);
        if (string.IsNullOrEmpty(advisor.DialNumber))
            return new TakeResult(TakeOutcome.NoDialNumber);

        // A callback is checked again before anyone is rung: consent, the caller's hours, the line's, a
        // number not blocked. One that may not be made now leaves the queue with its reason.
        if (await dialling.CallbackOfAsync(contactId) is { } callback && !await dialling.MayCallAsync(callback))
        {
            await queuedCallbacks.TakeOutIfUncallableAsync(callback);
            return new TakeResult(TakeOutcome.NotAllowedNow);
        }
        if (!await transitions.ClaimAsync(contactId, advisor.Id, languages))
            return await WhyNotAsync(contactId, languages);
        logger.LogInformation("Contact {ContactId} taken by advisor {AdvisorId}", contactId, advisor.Id);

        var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
        try
        {
            await BridgeAsync(contact, advisor);
        }
        catch (TelephonyException)
        {
            await transitions.ReleaseAsync(contactId, advisor.Id, Presence.Available, reason: null);
            return new TakeResult(TakeOutcome.TelephonyFailed);
        }
        return new TakeResult(TakeOutcome.Taken, (await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).ToQueueRowsAsync()).Single());
    }

    /// <summary>A chat needs no phone: the claim puts it under way, and the person is told an advisor has joined.</summary>
    private async Task<TakeResult> TakeChatAsync(StaffUser advisor, long contactId, CallerLanguage[] languages)
    {
        switch (await transitions.ClaimChatAsync(contactId, advisor.Id, languages, chat.Value.MaxConversationsPerAdvisor))
        {
            case ChatClaim.OnACall or ChatClaim.NotAvailable:
                return new TakeResult(TakeOutcome.AdvisorBusy);
            case ChatClaim.AtLimit:
                return new TakeResult(TakeOutcome.AtChatLimit);
            case ChatClaim.Lost:
                return await WhyNotAsync(contactId, languages);
        }
        logger.LogInformation("Chat {ContactId} taken by advisor {AdvisorId}", contactId, advisor.Id);
        try
        {
            await conversations.JoinedAsync(contactId);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
        {
            // The chat is the advisor's: the take stands. The person's page still sees it under way at its
            // next status (a poll or a reconnect); only the "has joined" line is missing.
            logger.LogWarning(e, "Chat {ContactId} was taken, but telling the person failed", contactId);
        }
        return new TakeResult(TakeOutcome.Taken, (await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).ToQueueRowsAsync()).Single());
    }

    private Task<bool> InChatsAsync(string advisorId) =>
        db.Contacts.AnyAsync(c => c.AdvisorId == advisorId && ContactChannels.Written.Contains(c.Channel) && QueueRowQueries.Active.Contains(c.Status));

    private async Task BridgeAsync(Contact contact, StaffUser advisor)
    {
        if (contact.Channel == ContactChannel.Phone && contact.CallSid is { } callerCall)
        {
            // The live call leaves Twilio's queue for the contact's conference, where it waits for the advisor.
            await gateway.RedirectCallAsync(callerCall, urls.For(BridgeUrls.Caller(contact.Id)));
        }
        var advisorCall = await gateway.PlaceCallAsync(new OutboundCall(
            To: advisor.DialNumber!,
            From: helpline.Value.HotlineNumber,
            TwimlUrl: urls.For(BridgeUrls.Advisor(contact.Id)),
            StatusCallbackUrl: urls.For(BridgeUrls.AdvisorStatus(contact.Id)),
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
