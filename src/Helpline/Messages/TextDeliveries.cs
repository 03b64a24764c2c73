using Helpline.Chat;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Messages;

/// <summary>What the advisor's screen is told when a text they sent moves on (sent, delivered, failed…).</summary>
public sealed record TextDeliveryView(long ContactId, int Sequence, TextDelivery Delivery, int? ErrorCode);

/// <summary>
/// Texts the helpline sends in a text conversation: handed to Twilio (the gateway) once stored, then
/// moved on by Twilio's signed status reports, never backwards, whatever order they arrive in. A
/// number that replied STOP is not texted: Twilio refuses it (error 21610), which is kept as the
/// person's answer, and the next reply is refused here before Twilio is asked.
/// </summary>
public sealed class TextDeliveries(
    HelplineDb db,
    ITelephonyGateway gateway,
    PublicUrls urls,
    ChatNotifier notifier,
    HelplineTime time,
    IOptions<HelplineOptions> helpline,
    ILogger<TextDeliveries> logger)
{
    public const string StatusPath = "/twilio/sms/status";

    /// <summary>The consent text version kept when Twilio refuses a text because the number opted out.</summary>
    public const string OptedOutAtTwilioVersion = "twilio-21610";

    /// <summary>The person's latest word on texts, by text (STOP or START) or through Twilio's refusal, is STOP.</summary>
    public async Task<bool> OptedOutAsync(long contactId)
    {
        var callerId = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.CallerId).SingleOrDefaultAsync();
        return callerId is { } id && await LatestByTextAsync(id) == false;
    }

    private Task<bool?> LatestByTextAsync(long callerId) =>
        db.Consents.Where(c => c.CallerId == callerId && c.Kind == ConsentKind.Text && c.Source == ConsentSource.TextMessage)
            .OrderByDescending(c => c.RecordedAt).ThenByDescending(c => c.Id)
            .Select(c => (bool?)c.Granted).FirstOrDefaultAsync();

    /// <summary>Hands a stored text to Twilio, to the conversation's caller; its status is followed at <see cref="StatusPath"/>.</summary>
    public async Task DeliverAsync(long messageId)
    {
        var text = await db.ChatMessages.AsNoTracking().Where(m => m.Id == messageId)
            .Select(m => new { m.ContactId, m.Body, Contact = db.Contacts.Where(c => c.Id == m.ContactId).Select(c => new { c.CallerId, c.Caller!.PhoneNumber }).Single() })
            .SingleAsync();
        if (text.Contact.PhoneNumber is not { } to || text.Contact.CallerId is not { } callerId)
        {
            await ReportedAsync(messageId, null, TextDelivery.Failed, null);
            return;
        }
        try
        {
            var sid = await gateway.SendSmsAsync(new OutboundText(to, helpline.Value.HotlineNumber, text.Body ?? "",
                urls.For(FormattableString.Invariant($"{StatusPath}?m={messageId}"))));
            await ReportedAsync(messageId, sid, TextDelivery.Queued, null);
        }
        catch (TelephonyException e)
        {
            logger.LogWarning("Text {MessageId} was not sent: Twilio error {ErrorCode}", messageId, e.ErrorCode);
            await ReportedAsync(messageId, null, TextDelivery.Failed, e.ErrorCode ?? 0);
            if (e.ErrorCode == TelephonyException.OptedOut)
                await KeepOptOutAsync(callerId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else (a timeout on the way to Twilio): shown as not sent, never left at "Sending…".
            logger.LogError(e, "Text {MessageId} could not be handed to Twilio", messageId);
            await ReportedAsync(messageId, null, TextDelivery.Failed, null);
        }
    }

    /// <summary>
    /// Twilio reports a text's progress (or this node handed it over). A status moves the message on
    /// only if it is further along; the three endings (delivered, undelivered, failed) are final.
    /// The message is found by our id (in the callback's URL, so a report that beats the SID being
    /// stored still lands) or by Twilio's SID. Returns whether anything moved.
    /// </summary>
    public async Task<bool> ReportedAsync(long? messageId, string? sid, TextDelivery delivery, int? errorCode)
    {
        var cap = delivery > TextDelivery.Delivered ? TextDelivery.Delivered : delivery;
        var messages = messageId is { } id
            ? db.ChatMessages.Where(m => m.Id == id && (sid == null || m.ProviderSid == null || m.ProviderSid == sid))
            : db.ChatMessages.Where(m => m.ProviderSid == sid);
        var moved = await messages.Where(m => m.Delivery != null && m.Delivery < cap)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Delivery, delivery)
                .SetProperty(m => m.ErrorCode, m => errorCode ?? m.ErrorCode)
                .SetProperty(m => m.ProviderSid, m => m.ProviderSid ?? sid));
        if (moved == 0)
        {
            // Not further along, but Twilio's SID is still worth keeping (the retention job deletes by it).
            if (sid is not null && messageId is { } known)
                await db.ChatMessages.Where(m => m.Id == known && m.ProviderSid == null).ExecuteUpdateAsync(s => s.SetProperty(m => m.ProviderSid, sid));
            return false;
        }
        var shown = await messages.Select(m => new { m.ContactId, m.Sequence, m.Delivery, m.ErrorCode, Contact = db.Contacts.Where(c => c.Id == m.ContactId).Select(c => new { c.AdvisorId, c.CallerId }).Single() })
            .SingleOrDefaultAsync();
        // Twilio may also report an opted-out number in the status rather than refuse the request.
        if (errorCode == TelephonyException.OptedOut && shown?.Contact.CallerId is { } callerId)
            await KeepOptOutAsync(callerId);
        if (shown?.Contact.AdvisorId is { } advisorId)
            await notifier.DeliveryAsync(new TextDeliveryView(shown.ContactId, shown.Sequence, shown.Delivery!.Value, shown.ErrorCode), advisorId);
        return true;
    }

    /// <summary>Twilio says the number opted out: kept as the person's answer (once), so no reply is tried again until they text START.</summary>
    private async Task KeepOptOutAsync(long callerId)
    {
        if (await LatestByTextAsync(callerId) == false)
            return;
        db.Consents.Add(new Consent
        {
            CallerId = callerId,
            Kind = ConsentKind.Text,
            Granted = false,
            TextVersion = OptedOutAtTwilioVersion,
            Source = ConsentSource.TextMessage,
            RecordedAt = time.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    /// <summary>Twilio's status words, as our steps; null for those that do not concern a text we sent.</summary>
    public static TextDelivery? FromTwilio(string? status) => status switch
    {
        "accepted" or "scheduled" or "queued" => TextDelivery.Queued,
        "sending" => TextDelivery.Sending,
        "sent" => TextDelivery.Sent,
        "delivered" or "read" => TextDelivery.Delivered,
        "undelivered" => TextDelivery.Undelivered,
        "failed" or "canceled" => TextDelivery.Failed,
        _ => null,
    };
}
