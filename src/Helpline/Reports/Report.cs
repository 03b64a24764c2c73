using System.ComponentModel.DataAnnotations;
using Helpline.Contacts;

namespace Helpline.Reports;

public sealed class ReportOptions
{
    /// <summary>Answered within this many seconds counts toward the service level.</summary>
    [Range(1, 600)]
    public int ServiceLevelSeconds { get; set; } = 30;

    /// <summary>Callers who hang up within this many seconds of waiting are short abandons, left out of the service level and the abandon rate.</summary>
    [Range(0, 120)]
    public int ShortAbandonSeconds { get; set; } = 5;
}

/// <summary>What a report covers: helpline-local days From–To (both included) and optional filters.</summary>
public sealed record ReportFilter(DateOnly From, DateOnly To, ContactChannel? Channel = null, string? AdvisorId = null, CallerLanguage? Language = null, string? Region = null)
{
    public int Days => To.DayNumber - From.DayNumber + 1;
}

/// <summary>Every figure of the reports page, counted in the database.</summary>
public sealed record Report(
    ReportFilter Filter,
    ReportOptions Thresholds,
    Totals Totals,
    IReadOnlyList<Bucket> ByHour,
    IReadOnlyList<Bucket> ByDayOfWeek,
    IReadOnlyList<Bucket> ByChannel,
    IReadOnlyList<Bucket> ByDisposition,
    IReadOnlyList<Bucket> ByRegion,
    CallbackFigures Callbacks,
    IReadOnlyList<AdvisorFigures> Advisors)
{
    public bool Empty => Totals.Contacts == 0;
}

/// <summary>The counts the headline figures are computed from; each figure is null when its denominator is zero.</summary>
public sealed record Totals(
    int Contacts, int Answered, int AnsweredWithinThreshold, int Abandoned, int ShortAbandoned,
    long AnsweredWaitMilliseconds, int Handled, long TalkSeconds, long WrapUpSeconds,
    int Referrals, int CrisisTransfersByAdvisor, int CrisisLineFromMenu)
{
    /// <summary>Abandoned after the short-abandon limit: the ones that count.</summary>
    public int CountedAbandons => Abandoned - ShortAbandoned;

    public double? ServiceLevel => Ratio(AnsweredWithinThreshold, Answered + CountedAbandons);
    public double? AbandonRate => Ratio(CountedAbandons, Answered + CountedAbandons);
    public double? AverageSpeedOfAnswerSeconds => Answered == 0 ? null : AnsweredWaitMilliseconds / 1000.0 / Answered;
    public double? AverageHandleSeconds => Handled == 0 ? null : (double)(TalkSeconds + WrapUpSeconds) / Handled;
    public double? AverageTalkSeconds => Handled == 0 ? null : (double)TalkSeconds / Handled;
    public double? AverageWrapUpSeconds => Handled == 0 ? null : (double)WrapUpSeconds / Handled;

    internal static double? Ratio(long part, long whole) => whole == 0 ? null : (double)part / whole;
}

/// <summary>
/// Contacts in one group (an hour, a weekday, a channel…): how many, answered, abandoned; those
/// completed and their handling time (talk + wrap-up); chats replied to and their time to first reply.
/// </summary>
public sealed record Bucket(string Key, string Label, int Contacts, int Answered, int Abandoned,
    int Handled = 0, long HandleSeconds = 0, int FirstReplies = 0, long FirstReplyMilliseconds = 0)
{
    public double? AverageHandleSeconds => Handled == 0 ? null : (double)HandleSeconds / Handled;
    public double? AverageFirstReplySeconds => FirstReplies == 0 ? null : FirstReplyMilliseconds / 1000.0 / FirstReplies;
}

public sealed record CallbackFigures(int Callbacks, int Placed, int PlacedWithinOneMinute, int PlacedWithinFiveMinutes, int Completed, int Missed, int Attempts)
{
    public double? WithinOneMinute => Totals.Ratio(PlacedWithinOneMinute, Placed);
    public double? WithinFiveMinutes => Totals.Ratio(PlacedWithinFiveMinutes, Placed);
    public double? AttemptsPerCompletion => Completed == 0 ? null : (double)Attempts / Completed;
}

/// <summary>
/// How many chats an advisor held at once: their chats' lengths added up over the time they had at
/// least one open is the average; and the most at one moment.
/// </summary>
public sealed record ChatLoad(long ChatSeconds, long ChattingSeconds, int MostAtOnce)
{
    public static readonly ChatLoad None = new(0, 0, 0);

    public double? AverageAtOnce => ChattingSeconds == 0 ? null : (double)ChatSeconds / ChattingSeconds;

    /// <summary>The load of a set of chats, each open From–Until (a sweep over their starts and ends).</summary>
    public static ChatLoad Of(IReadOnlyList<(DateTime From, DateTime Until)> chats)
    {
        double chatSeconds = 0, chattingSeconds = 0;
        var open = 0;
        var most = 0;
        DateTime? chattingSince = null;
        // Ends before starts at the same moment: a chat ended as another is taken is not two at once.
        foreach (var (at, change) in chats.SelectMany(c => new[] { (At: c.From, Change: 1), (At: c.Until, Change: -1) }).OrderBy(e => e.At).ThenBy(e => e.Change))
        {
            if (change > 0 && open++ == 0)
                chattingSince = at;
            if (change < 0 && --open == 0)
                chattingSeconds += (at - chattingSince!.Value).TotalSeconds;
            most = Math.Max(most, open);
        }
        foreach (var (from, until) in chats)
            chatSeconds += (until - from).TotalSeconds;
        return new ChatLoad((long)Math.Round(chatSeconds), (long)Math.Round(chattingSeconds), most);
    }
}

/// <summary>One advisor's contacts in the range, and their occupancy: handling time over staffed time.</summary>
public sealed record AdvisorFigures(string AdvisorId, string Name, int Handled, long TalkSeconds, long WrapUpSeconds, int Referrals, long StaffedSeconds, ChatLoad Chats)
{
    public double? AverageHandleSeconds => Handled == 0 ? null : (double)(TalkSeconds + WrapUpSeconds) / Handled;
    public double? Occupancy => StaffedSeconds == 0 ? null : Math.Min(1.0, (double)(TalkSeconds + WrapUpSeconds) / StaffedSeconds);
}
