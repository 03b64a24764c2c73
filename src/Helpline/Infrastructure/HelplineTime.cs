using Microsoft.Extensions.Options;

namespace Helpline.Infrastructure;

/// <summary>
/// The clock and the helpline's time zone. Rows that reports group by day or hour store the
/// helpline-local date and hour when written, because SQLite cannot convert across
/// daylight-saving changes inside a query.
/// </summary>
public sealed class HelplineTime(TimeProvider clock, IOptions<HelplineOptions> options)
{
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    public LocalStamp Stamp(DateTime utc)
    {
        var local = ToLocal(utc);
        return new LocalStamp(DateOnly.FromDateTime(local), local.Hour, local.DayOfWeek);
    }
}

public readonly record struct LocalStamp(DateOnly Date, int Hour, DayOfWeek DayOfWeek);
