using Helpline.Contacts;

namespace Helpline.Chat;

/// <summary>
/// A web chat: a contact with channel <see cref="ContactChannel.Chat"/>, plus what only a chat has.
/// The person is anonymous; they hold a secret (only its hash is stored) that lets them resume the
/// conversation after a reload or a dropped connection, for <see cref="ChatOptions.ResumeMinutes"/>.
/// </summary>
public sealed class Conversation
{
    /// <summary>The contact's id: one conversation per chat contact.</summary>
    public long ContactId { get; set; }
    public Contact? Contact { get; set; }

    /// <summary>SHA-256 of the person's secret, base64url. The secret itself is never stored.</summary>
    public string SecretHash { get; set; } = "";

    /// <summary>The first name or nickname the person gave, if any; encrypted at rest.</summary>
    public string? Nickname { get; set; }

    /// <summary>A keyed hash of the address the chat was opened from: rate limits across nodes, never the address itself.</summary>
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
