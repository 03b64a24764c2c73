using Helpline.Accounts;

namespace Helpline.Contacts;

/// <summary>
/// One attempt by a person to reach us: a call, a web-form request, a voicemail, a callback or a web chat.
/// Every contact sits in the one shared queue while it waits.
/// </summary>
public sealed class Contact
{
    public long Id { get; set; }

    public long? CallerId { get; set; }
    public Caller? Caller { get; set; }

    /// <summary>True when the caller ID was withheld: such a contact is never offered a callback.</summary>
    public bool CallerIdWithheld { get; set; }

    public ContactChannel Channel { get; set; }
    public ContactStatus Status { get; set; }
    public ContactPriority Priority { get; set; }
    public CallerLanguage Language { get; set; } = CallerLanguage.English;
    public ContactFor For { get; set; }

    /// <summary>US state (or region) the contact comes from, for referrals and reports.</summary>
    public string? Region { get; set; }

    /// <summary>What the person asked about, when they said (web form).</summary>
    public Substance? Substance { get; set; }

    /// <summary>Twilio's CallSid of the inbound call; unique, so retried webhooks make one contact.</summary>
    public string? CallSid { get; set; }

    /// <summary>The "who answers this line" disclosure version the person was given.</summary>
    public string? DisclosureVersion { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Helpline-local calendar date of <see cref="CreatedAt"/>; reports group by it.</summary>
    public DateOnly LocalDate { get; set; }

    /// <summary>Helpline-local hour (0-23) of <see cref="CreatedAt"/>.</summary>
    public int LocalHour { get; set; }

    public DayOfWeek LocalDayOfWeek { get; set; }

    /// <summary>Place in line: when the person started waiting for us.</summary>
    public DateTime? QueuedAt { get; set; }

    public DateTime? AnsweredAt { get; set; }
    public DateTime? EndedAt { get; set; }
    public DateTime? WrapUpEndedAt { get; set; }

    public int? WaitSeconds { get; set; }

    /// <summary>The same wait to the millisecond, from the app's own clock: reports compare it with their thresholds.</summary>
    public int? WaitMilliseconds { get; set; }
    public int? TalkSeconds { get; set; }
    public int? WrapUpSeconds { get; set; }

    public string? AdvisorId { get; set; }
    public StaffUser? Advisor { get; set; }

    /// <summary>The call the app placed to the advisor's phone to bridge them in.</summary>
    public string? AdvisorCallSid { get; set; }

    /// <summary>Why the caller left Twilio's queue while keeping (or leaving) their place in ours.</summary>
    public QueueExit QueueExit { get; set; }

    public Disposition? Disposition { get; set; }

    /// <summary>Advisor's notes, encrypted at rest.</summary>
    public string? Notes { get; set; }

    /// <summary>
    /// The wrap-up as the advisor writes it during the call (disposition, referral, notes as JSON),
    /// encrypted at rest like the notes; cleared when the contact is completed.
    /// </summary>
    public string? WrapUpDraft { get; set; }

    /// <summary>Link to the voicemail recording, encrypted at rest.</summary>
    public string? RecordingUrl { get; set; }
    public string? RecordingSid { get; set; }
    public int? RecordingSeconds { get; set; }

    public DateTime? CrisisTransferredAt { get; set; }

    /// <summary>On a callback: the call the app placed to the caller once the advisor answered.</summary>
    public string? CalleeCallSid { get; set; }

    /// <summary>The call the app placed to bring a third party (the crisis line) into the conference.</summary>
    public string? TransferCallSid { get; set; }

    /// <summary>Highest Twilio SequenceNumber applied, so late status callbacks never move a contact backwards.</summary>
    public int LastCallSequence { get; set; } = -1;

    public DateTime UpdatedAt { get; set; }

    /// <summary>A written conversation's own part (channels <see cref="ContactChannel.Chat"/> and <see cref="ContactChannel.Sms"/> only).</summary>
    public Chat.Conversation? Conversation { get; set; }

    /// <summary>When the retention job removed what identified the caller (null: not yet).</summary>
    public DateTime? AnonymizedAt { get; set; }
}

public static class Waits
{
    /// <summary>How long someone waited in the queue until <paramref name="now"/>: whole seconds (for speech and the wallboard) and milliseconds (for reports).</summary>
    public static (int Seconds, int Milliseconds) Since(DateTime? queuedAt, DateTime now)
    {
        var waited = queuedAt is { } at && now > at ? now - at : TimeSpan.Zero;
        return ((int)waited.TotalSeconds, (int)Math.Min(int.MaxValue, waited.TotalMilliseconds));
    }
}

public enum ContactChannel
{
    Phone = 1,
    WebForm = 2,
    Callback = 3,
    Voicemail = 4,
    /// <summary>A web chat (see Chat/): typed, not spoken; no phone is rung.</summary>
    Chat = 5,
    /// <summary>Text messages (SMS or MMS) with the person's phone (see Messages/): a conversation like a chat, carried by Twilio.</summary>
    Sms = 6,
}

/// <summary>The channels that are written conversations rather than calls: taken without ringing, held several at once.</summary>
public static class ContactChannels
{
    /// <summary>For queries: <c>ContactChannels.Written.Contains(c.Channel)</c>.</summary>
    public static readonly ContactChannel[] Written = [ContactChannel.Chat, ContactChannel.Sms];

    public static bool IsWritten(this ContactChannel channel) => channel is ContactChannel.Chat or ContactChannel.Sms;
}

public enum ContactStatus
{
    /// <summary>A phone caller hearing the disclosure and the menu.</summary>
    InMenu = 1,
    /// <summary>In the shared queue, waiting for an advisor.</summary>
    Waiting = 2,
    /// <summary>Taken by an advisor; the bridge is being set up.</summary>
    Connecting = 3,
    InProgress = 4,
    WrapUp = 5,
    Completed = 6,
    /// <summary>Hung up while waiting in the queue.</summary>
    Abandoned = 7,
    /// <summary>Hung up before reaching the queue (during the disclosure or the menu).</summary>
    EndedInMenu = 8,
    TransferredToCrisisLine = 9,
    /// <summary>Left a voicemail or asked for a callback that is scheduled.</summary>
    AwaitingCallback = 10,
    Missed = 11,
    Cancelled = 12,
    /// <summary>The number was blocked by a supervisor: the caller heard a polite message and was not queued.</summary>
    Blocked = 13,
}

public enum Substance
{
    Heroin = 1,
    Fentanyl = 2,
    PrescriptionOpioids = 3,
    Methamphetamine = 4,
    Alcohol = 5,
    Other = 6,
}

public enum QueueExit
{
    None = 0,
    /// <summary>
    /// Pressed 1, as an earlier version recorded it (the contact then stuck in the queue with no callback).
    /// No longer set: press 1 now makes the contact a callback (channel Callback, with its callback row),
    /// and such old contacts are given their callback at start.
    /// </summary>
    Callback = 1,
    /// <summary>Pressed 9: put through to the crisis line.</summary>
    CrisisLine = 2,
    /// <summary>Waited past the longest wait, or nobody was signed in: offered a voicemail.</summary>
    Voicemail = 3,
}

public enum ContactPriority
{
    Normal = 0,
    Urgent = 1,
}

public enum ContactFor
{
    Unknown = 0,
    Self = 1,
    LovedOne = 2,
}

public enum Disposition
{
    InformationGiven = 1,
    ReferredToTreatment = 2,
    CrisisEscalated911 = 3,
    CrisisEscalated988 = 4,
    CallbackScheduled = 5,
    Silent = 6,
    HangUp = 7,
    WrongNumber = 8,
    Abusive = 9,
    Other = 10,
}
