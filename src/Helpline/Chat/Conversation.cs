using Helpline.Contacts;

namespace Helpline.Chat;

/// <summary>
/// A written conversation: a contact with channel <see cref="ContactChannel.Chat"/> or
/// <see cref="ContactChannel.Sms"/>, plus what only a conversation has. In a web chat the person is
/// anonymous; they hold a secret (only its hash is stored) that lets them resume the conversation
/// after a reload or a dropped connection, for <see cref="ChatOptions.ResumeMinutes"/>. In a text
/// conversation the person is their phone number (the contact's caller), and <see cref="TextThread"/>
/// makes sure one number has one open conversation at a time.
/// </summary>
public sealed class Conversation
{
    /// <summary>The contact's id: one conversation per chat contact.</summary>
    public long ContactId { get; set; }
    public Contact? Contact { get; set; }

    /// <summary>SHA-256 of the person's secret, base64url (web chats only). The secret itself is never stored.</summary>
    public string? SecretHash { get; set; }

    /// <summary>
    /// Text conversations only: the caller's id and how many of their text conversations had ended
    /// when this one opened ("42:3"). Unique, so two texts from one number arriving at once open one
    /// conversation, whichever of them looks first.
    /// </summary>
    public string? TextThread { get; set; }

    /// <summary>The first name or nickname the person gave, if any; encrypted at rest.</summary>
    public string? Nickname { get; set; }

    /// <summary>A keyed hash of the address the chat was opened from (for a text conversation, of the phone number): rate limits and blocks across nodes, never the address itself.</summary>
    public string AddressHash { get; set; } = "";

    public DateTime StartedAt { get; set; }

    /// <summary>The last message or sign of life from the person: resuming is allowed for a while after it.</summary>
    public DateTime LastSeenAt { get; set; }

    /// <summary>The highest message sequence number used so far.</summary>
    public int LastSequence { get; set; }

    /// <summary>Highest sequence the person has seen on screen; the advisor's screen shows "Read" up to it.</summary>
    public int ReadByPerson { get; set; }

    /// <summary>Highest sequence the advisor has seen.</summary>
    public int ReadByAdvisor { get; set; }

    /// <summary>When an advisor first wrote: the chat's "time to first reply" runs from <see cref="Contact.QueuedAt"/> to it.</summary>
    public DateTime? FirstReplyAt { get; set; }

    /// <summary>From joining the queue to the advisor's first message, kept for the reports.</summary>
    public int? FirstReplyMilliseconds { get; set; }

    /// <summary>The words in the person's messages that raised the conversation's priority, if any.</summary>
    public string? RiskReason { get; set; }

    public DateTime? RiskRaisedAt { get; set; }

    /// <summary>When the person left (quick exit, "Leave", or the tab closed and the resume window passed).</summary>
    public DateTime? PersonLeftAt { get; set; }
}

/// <summary>One message in a conversation, encrypted at rest. Numbered from 1 within its conversation.</summary>
public sealed class ChatMessage
{
    public long Id { get; set; }
    public long ContactId { get; set; }
    public int Sequence { get; set; }
    public ChatSender Sender { get; set; }

    /// <summary>The advisor who wrote it (advisor messages only).</summary>
    public string? AdvisorId { get; set; }

    /// <summary>The sender's own id for the message, so a resend after a dropped connection is stored once.</summary>
    public string? ClientMessageId { get; set; }

    /// <summary>The text, encrypted at rest; emptied by the retention job.</summary>
    public string? Body { get; set; }

    public DateTime SentAt { get; set; }

    /// <summary>
    /// Text conversations only: Twilio's SID for the message (SM… or MM…), received or sent. Unique:
    /// a webhook Twilio delivers twice is stored once, and the retention job deletes it at Twilio.
    /// </summary>
    public string? ProviderSid { get; set; }

    /// <summary>A message texted to the person: where Twilio's signed status reports have got to (never backwards). Null for everything else.</summary>
    public TextDelivery? Delivery { get; set; }

    /// <summary>Twilio's error code when a text was not delivered (e.g. 21610: the number replied STOP; 30003: unreachable).</summary>
    public int? ErrorCode { get; set; }

    /// <summary>Pictures and other media the person sent (MMS), shown to staff only through the app.</summary>
    public List<MessageMedia> Media { get; set; } = [];
}

/// <summary>Where a text the helpline sent has got to, as Twilio reports it. The order is the order of progress.</summary>
public enum TextDelivery
{
    /// <summary>Stored here, and being handed to Twilio.</summary>
    Saved = 1,
    Queued = 2,
    Sending = 3,
    Sent = 4,
    Delivered = 5,
    Undelivered = 6,
    Failed = 7,
}

/// <summary>One picture (or other file) of a text the person sent, kept at Twilio and fetched through the app when staff open it.</summary>
public sealed class MessageMedia
{
    public long Id { get; set; }
    public long MessageId { get; set; }

    /// <summary>The conversation's contact: what the media endpoint checks access against.</summary>
    public long ContactId { get; set; }

    /// <summary>Twilio's media URL (api.twilio.com/…/Media/ME…), encrypted at rest; never sent to a browser.</summary>
    public string? Url { get; set; }

    public string ContentType { get; set; } = "";
}

public enum ChatSender
{
    Person = 1,
    Advisor = 2,
    /// <summary>Said by the helpline itself: "An advisor has joined", "The chat has ended".</summary>
    System = 3,
}

/// <summary>
/// A supervisor's change to the risk phrases: one row per phrase, holding its latest state. A phrase
/// of the configured list can be taken off it (<see cref="Listed"/> false) and put back; any other
/// phrase can be added. The audit trail keeps every change.
/// </summary>
public sealed class RiskPhraseEdit
{
    /// <summary>The phrase as matched: lower case, accents removed, single spaces (<see cref="RiskWords.Normalize"/>).</summary>
    public string Phrase { get; set; } = "";

    /// <summary>True: the phrase raises a chat. False: a configured phrase a supervisor took off the list.</summary>
    public bool Listed { get; set; }

    public DateTime ChangedAt { get; set; }
    public string? ChangedByName { get; set; }
}
