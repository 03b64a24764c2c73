using Helpline.Infrastructure;

namespace Helpline.Callbacks;

/// <summary>
/// Quiet hours: nobody is called before 8:00 or after 21:00 in their own time zone, or outside the
/// narrower window they asked for, and never while the line is closed.
/// </summary>
public static class CallbackWindow
{
    public static readonly TimeOnly Earliest = new(8, 0);
    public static readonly TimeOnly Latest = new(21, 0);

    public static bool Allows(DateTime utc, TimeZoneInfo callerZone, TimeOnly start, TimeOnly end)
    {
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), callerZone));
        var from = start < Earliest ? Earliest : start;
        var until = end > Latest ? Latest : end;
        return local >= from && local < until;
    }

    /// <summary>
    /// The first minute from <paramref name="fromUtc"/> when the caller may be called and, given
    /// <paramref name="hours"/>, the line is open.
    /// </summary>
    public static DateTime? FirstDueTime(DateTime fromUtc, string callerTimeZone, TimeOnly start, TimeOnly end, OpeningHours? hours)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(callerTimeZone);
        return OpeningHours.FirstMinute(fromUtc, t => Allows(t, zone, start, end) && (hours is null || hours.IsOpen(t)));
    }

    /// <summary>
    /// <see cref="FirstDueTime"/> with the line's hours, or, if the line stays closed beyond the search
    /// horizon, with the caller's window alone: the callback job checks the opening hours again when it fires.
    /// </summary>
    public static DateTime DueTime(DateTime fromUtc, string callerTimeZone, TimeOnly start, TimeOnly end, OpeningHours hours) =>
        FirstDueTime(fromUtc, callerTimeZone, start, end, hours) ?? FirstDueTime(fromUtc, callerTimeZone, start, end, hours: null)!.Value;
}
