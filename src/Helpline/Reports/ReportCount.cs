using Helpline.Contacts;

namespace Helpline.Reports;

/// <summary>What a row of counts is grouped by, besides the day, channel and language.</summary>
public enum CountDimension
{
    /// <summary>Key: the local hour (0–23). Carries every contact measure.</summary>
    Hour = 1,
    /// <summary>Key: the disposition's name.</summary>
    Disposition = 2,
    /// <summary>Key: the region.</summary>
    Region = 3,
    /// <summary>Key: the advisor's id.</summary>
    Advisor = 4,
    /// <summary>Key: empty. Carries the callback measures of the day's contacts.</summary>
    Callbacks = 5,
    /// <summary>Key: the advisor's id; channel Chat, any language. Carries how many chats they held at once.</summary>
    ChatLoad = 6,
}

/// <summary>
/// Counts of one day's contacts in one group (an hour, a disposition, a region, an advisor, or the
/// day's callbacks), per channel and language. Past days are kept in this table (a per-day rollup,
/// recounted whenever a contact of that day changes); today and stale days are counted live with
/// exactly the same queries. A report adds rows up: a year is a few thousand rows, not a million.
/// </summary>
public sealed class ReportCount
{
    public long Id { get; set; }
    public DateOnly LocalDate { get; set; }
    public DayOfWeek LocalDayOfWeek { get; set; }
    public CountDimension Dimension { get; set; }
    public string Key { get; set; } = "";
    public ContactChannel Channel { get; set; }
    public CallerLanguage Language { get; set; }

    public int Contacts { get; set; }
    public int Answered { get; set; }
    public int AnsweredWithinThreshold { get; set; }
    public int Abandoned { get; set; }
    public int ShortAbandoned { get; set; }
    public long AnsweredWaitMilliseconds { get; set; }
    public int Handled { get; set; }
    public long TalkSeconds { get; set; }
    public long WrapUpSeconds { get; set; }
    public int Referrals { get; set; }
    public int CrisisTransfersByAdvisor { get; set; }
    public int CrisisLineFromMenu { get; set; }

    /// <summary>Chats the advisor replied to, and the sum of their times from joining the queue to the first reply.</summary>
    public int FirstReplies { get; set; }
    public long FirstReplyMilliseconds { get; set; }

    /// <summary>ChatLoad: the length of the advisor's chats added up, the time they had at least one open, and the most open at once.</summary>
    public long ChatSeconds { get; set; }
    public long ChattingSeconds { get; set; }
    public int MostChatsAtOnce { get; set; }

    public int Callbacks { get; set; }
    public int CallbacksPlaced { get; set; }
    public int CallbacksWithinOneMinute { get; set; }
    public int CallbacksWithinFiveMinutes { get; set; }
    public int CallbacksCompleted { get; set; }
    public int CallbacksMissed { get; set; }
    public int CallbackAttempts { get; set; }
}

/// <summary>A past day whose counts are kept, and what they were counted from: stale when the day's contacts changed since, or the thresholds or the counting rules did.</summary>
public sealed class ReportDay
{
    public DateOnly LocalDate { get; set; }
    public int Contacts { get; set; }
    public DateTime? LastUpdatedAt { get; set; }
    public int ServiceLevelSeconds { get; set; }
    public int ShortAbandonSeconds { get; set; }

    /// <summary>The counting rules' version it was counted under (<see cref="ReportQueries.FormulasVersion"/>); 0 before versions were kept.</summary>
    public int Formulas { get; set; }

    public DateTime CountedAt { get; set; }
}
