using System.Text.RegularExpressions;
using Helpline.Blocking;
using Helpline.Chat;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;
using Microsoft.Extensions.Options;

namespace Helpline.Messages;

/// <summary>A text that reached the hotline, as Twilio's signed webhook gives it.</summary>
/// <param name="OptOutType">What Twilio's Advanced Opt-Out matched (STOP, START or HELP), when it is on.</param>
public sealed record InboundText(string Sid, string From, string Body, IReadOnlyList<(string Url, string ContentType)> Media, string? OptOutType = null);

/// <summary>What became of a text: the answer to send at once through Twilio (the closed-line reply), and whether a conversation keeps it.</summary>
public sealed record TextTaken(string? Reply, bool Kept)
{
    public static readonly TextTaken NotKept = new(null, false);
}

/// <summary>
/// A text to the hotline, taken in: STOP and START (and their Spanish and other forms) keep the
/// person's answer on texts; STOP also ends their open conversation. Any other text goes into the
/// number's open text conversation, or opens one in the shared queue, acknowledged by a text with
/// the crisis numbers. While the line is closed, a text that would open a conversation is answered
/// with the crisis numbers and when advisors are back, and nothing is kept. See docs/sms.md.
/// </summary>
public sealed partial class TextIntake(
    HelplineDb db,
    Conversations conversations,
    TextDeliveries deliveries,
    HelplineTime time,
    OpeningHours hours,
    IOptions<HelplineOptions> helpline,
    IOptions<DisclosureOptions> disclosure,
    IOptions<SmsOptions> options,
    ILogger<TextIntake> logger)
{
    /// <summary>Twilio's default opt-out words, and the Spanish ones the operator adds to Advanced Opt-Out (docs/sms.md).</summary>
    public static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
        { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "PARAR", "DETENER", "CANCELAR" };

    /// <summary>Twilio's default opt-in words, and the Spanish ones.</summary>
    public static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES", "COMENZAR", "INICIAR" };

    public const string StopTextVersion = "sms-keyword-stop";
    public const string StartTextVersion = "sms-keyword-start";

    /// <summary>Takes a text in: what to answer at once through Twilio (the closed-line reply), and whether a conversation keeps it.</summary>
    public async Task<TextTaken> ReceiveAsync(InboundText text)
    {
        var now = time.UtcNow;
        if (CallerNumbers.CallableE164(text.From) is not { } number)
        {
            // A short code or a named sender: not a person who can be answered.
            logger.LogInformation("Text {MessageSid} is from a sender that cannot be answered; not kept", text.Sid);
            return TextTaken.NotKept;
        }
        if (await BlockedNumbers.IsBlockedAsync(db, number, now))
        {
            logger.LogInformation("Text {MessageSid} is from a blocked number; not kept", text.Sid);
            return TextTaken.NotKept;
        }
        if (Conversations.Clean(text.Body).Length == 0 && text.Media.Count == 0)
            return TextTaken.NotKept;
        var granted = Keyword(text);
        if (granted is null && !hours.IsOpen(now))
        {
            // Closed: a text for no open conversation is answered, and nothing of it is kept, not even the number.
            var known = await db.FindCallerAsync(number);
            if (known is null || await conversations.OpenTextOfAsync(known.Id) is null)
                return new TextTaken(ClosedReply(known?.Language ?? (LooksSpanish(text.Body) ? CallerLanguage.Spanish : CallerLanguage.English), now), Kept: false);
        }
        var caller = await db.FindOrCreateCallerAsync(number, hash => new Caller
        {
            PhoneHash = hash,
            PhoneNumber = number,
            TimeZone = CallerNumbers.TimeZoneOf(number, helpline.Value.TimeZone),
            Language = LooksSpanish(text.Body) ? CallerLanguage.Spanish : CallerLanguage.English,
            CreatedAt = now,
        });
        if (granted is { } answer)
            await KeepAnswerAsync(caller.Id, answer, text.Sid, now);

        var open = await conversations.OpenTextOfAsync(caller.Id);
        if (granted == false)
        {
            if (open is not { } stopped)
                return TextTaken.NotKept;
            var kept = await conversations.SendAsync(stopped, ChatSender.Person, null, null, text.Body, new TextIn(text.Sid, text.Media));
            await conversations.LeaveAsync(stopped, "The person texted STOP: no more texts can reach them until they text START.");
            return new TextTaken(null, kept.Outcome == SendOutcome.Sent);
        }
        // A bare opt-in opens nothing; "yes" may be an answer to a question, so it goes on like any text.
        if (open is null && granted == true && !string.Equals(text.Body.Trim(), "YES", StringComparison.OrdinalIgnoreCase))
            return TextTaken.NotKept;
        return await IntoConversationAsync(open, caller, text, now);
    }

    /// <summary>Into the open conversation, or a new one; one that ends meanwhile is replaced by a new one.</summary>
    private async Task<TextTaken> IntoConversationAsync(long? open, Caller caller, InboundText text, DateTime now)
    {
        for (var tries = 0; tries < 3; tries++)
        {
            var opened = false;
            var language = LooksSpanish(text.Body) ? CallerLanguage.Spanish : caller.Language;
            if (open is not { } contactId)
            {
                if (!hours.IsOpen(now))
                    return new TextTaken(ClosedReply(caller.Language, now), Kept: false);
                (contactId, opened) = await conversations.OpenTextAsync(caller.Id, language, caller.PhoneHash!, options.Value.Acknowledge);
            }
            var sent = await conversations.SendAsync(contactId, ChatSender.Person, null, null, text.Body, new TextIn(text.Sid, text.Media));
            if (sent.Outcome == SendOutcome.Sent)
            {
                // Not to a number whose last word was STOP (a word Twilio may not know, such as PARAR): they texted, but did not say START.
                if (opened && options.Value.Acknowledge && !await deliveries.OptedOutAsync(contactId))
                    await conversations.TextFromHelplineAsync(contactId, Acknowledgement(language));
                return new TextTaken(null, Kept: true);
            }
            if (sent.Outcome != SendOutcome.Closed)
            {
                logger.LogWarning("Text {MessageSid} was not kept: {Outcome}", text.Sid, sent.Outcome);
                return TextTaken.NotKept;
            }
            // The conversation ended between finding it and writing in it: the text opens a new one.
            open = null;
        }
        logger.LogError("Text {MessageSid} could not be put in a conversation", text.Sid);
        throw new InvalidOperationException("A text could not be put in a conversation.");
    }

    /// <summary>STOP (false), START (true) or neither (null): Twilio's Advanced Opt-Out match when given, otherwise the whole message as a keyword.</summary>
    private static bool? Keyword(InboundText text)
    {
        if (text.OptOutType is { Length: > 0 } type)
            return type.Equals("STOP", StringComparison.OrdinalIgnoreCase) ? false : type.Equals("START", StringComparison.OrdinalIgnoreCase) ? true : null;
        var word = text.Body.Trim().TrimEnd('.', '!');
        return StopWords.Contains(word) ? false : StartWords.Contains(word) ? true : null;
    }

    private async Task KeepAnswerAsync(long callerId, bool granted, string sid, DateTime now)
    {
        db.Consents.Add(new Consent
        {
            CallerId = callerId,
            Kind = ConsentKind.Text,
            Granted = granted,
            TextVersion = granted ? StartTextVersion : StopTextVersion,
            Source = ConsentSource.TextMessage,
            RecordedAt = now,
        });
        await db.SaveChangesAsync();
        logger.LogInformation("Caller {CallerId} {Change} texts by message {MessageSid}", callerId, granted ? "allowed" : "stopped", sid);
    }

    /// <summary>The first text back: that an advisor will answer, the crisis numbers, how to stop texts, and the disclosure.</summary>
    private string Acknowledgement(CallerLanguage language) => language == CallerLanguage.Spanish
        ? $"{helpline.Value.Name}: recibimos su mensaje. Un consejero le responderá aquí pronto. Si está en peligro ahora, llame al 911, o llame o envíe un texto al 988. {disclosure.Value.Spanish} Responda PARAR para no recibir más mensajes."
        : $"{helpline.Value.Name}: thanks for your text. An advisor will reply here soon. If you are in danger now, call 911, or call or text 988. {disclosure.Value.English} Reply STOP to stop texts.";

    /// <summary>While the line is closed: when advisors are back, and the crisis numbers that are always there.</summary>
    private string ClosedReply(CallerLanguage language, DateTime now)
    {
        var back = hours.NextOpening(now) is { } opening ? time.ToLocal(opening) : (DateTime?)null;
        var spanish = language == CallerLanguage.Spanish;
        var when = back is { } at
            ? at.ToString(spanish ? "dddd H:mm" : "dddd h:mm tt", System.Globalization.CultureInfo.GetCultureInfo(spanish ? "es-US" : "en-US"))
            : null;
        return spanish
            ? $"{helpline.Value.Name}: ahora no hay consejeros para responder mensajes.{(when is null ? "" : $" Vuelven el {when}.")} Si está en peligro ahora, llame al 911. Puede llamar o enviar un texto al 988 a cualquier hora."
            : $"{helpline.Value.Name}: no advisors are answering texts right now.{(when is null ? "" : $" We are back {when}.")} If you are in danger now, call 911. You can call or text 988 any time.";
    }

    /// <summary>
    /// Whether a first text reads as Spanish, to queue it for an advisor who speaks it: Spanish
    /// punctuation, or one of a few words common at the start of a request for help.
    /// </summary>
    internal static bool LooksSpanish(string body) => SpanishHint().IsMatch(body);

    [GeneratedRegex(@"[¿¡]|\b(hola|ayuda|ayúdenme|necesito|quiero|hablar|español|espanol|por favor|mi hijo|mi hija|mi esposo|mi esposa|gracias|buenas|buenos)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SpanishHint();
}

/// <summary>Section "Sms".</summary>
public sealed class SmsOptions
{
    /// <summary>Answer the first text of a conversation at once: an advisor will reply, the crisis numbers, STOP, and the disclosure. Default on.</summary>
    public bool Acknowledge { get; set; } = true;
}
