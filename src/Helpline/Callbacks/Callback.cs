using Helpline.Contacts;

namespace Helpline.Callbacks;

/// <summary>
/// A promised call back. The database is the truth about every callback; the background job
/// only makes it happen on time and re-checks this row when it runs.
/// </summary>
public sealed class Callback
{
    public long Id { get; set; }

    public long ContactId { get; set; }
    public Contact? Contact { get; set; }

    public long CallerId { get; set; }
    public Caller? Caller { get; set; }

    public CallbackStatus Status { get; set; }

    /// <summary>When the callback should enter the queue (UTC).</summary>
    public DateTime DueAt { get; set; }

    /// <summary>IANA time zone the window is expressed in (the caller's).</summary>
    public required string TimeZone { get; set; }

    /// <summary>Earliest local time of day the caller may be called.</summary>
    public TimeOnly WindowStartLocal { get; set; }

    /// <summary>Latest local time of day the caller may be called.</summary>
    public TimeOnly WindowEndLocal { get; set; }

    public int Attempts { get; set; }
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Id of the background job that will fire it, when one is scheduled.</summary>
    public string? JobId { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }

    /// <summary>When the caller was first dialled, and how many seconds after the due time it then had: reports' punctuality.</summary>
    public DateTime? FirstAttemptAt { get; set; }
    public int? FirstAttemptLateSeconds { get; set; }

    /// <summary>How the last attempt ended.</summary>
    public CallbackOutcome? LastOutcome { get; set; }

    /// <summary>
    /// A callback the caller asked for (a voicemail, 1 pressed while waiting, the web form), scheduled
    /// at <paramref name="dueAt"/> (see <see cref="CallbackWindow.DueTime"/>) inside the window they gave.
    /// </summary>
    public static Callback Promised(long contactId, long callerId, string timeZone, TimeOnly windowStart, TimeOnly windowEnd, DateTime dueAt, DateTime now) => new()
    {
        ContactId = contactId,
        CallerId = callerId,
        Status = CallbackStatus.Scheduled,
        DueAt = dueAt,
        TimeZone = timeZone,
        WindowStartLocal = windowStart,
        WindowEndLocal = windowEnd,
        CreatedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>How one attempt to call the caller back ended.</summary>
public enum CallbackOutcome
{
    Reached = 1,
    NoAnswer = 2,
    VoicemailLeft = 3,
    WrongNumber = 4,
}

public enum CallbackStatus
{
    Scheduled = 1,
    Due = 2,
    InProgress = 3,
    Completed = 4,
    Missed = 5,
    Cancelled = 6,
}
