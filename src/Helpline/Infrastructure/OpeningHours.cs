using System.Globalization;
using Microsoft.Extensions.Options;

namespace Helpline.Infrastructure;

/// <summary>When the line is open: weekly hours and holidays in the helpline's time zone.</summary>
public sealed class OpeningHours
{
    private readonly HelplineTime _time;
    private readonly Dictionary<DayOfWeek, (TimeSpan Start, TimeSpan End)[]> _weekly;
    private readonly HashSet<DateOnly> _holidays;

    public OpeningHours(HelplineTime time, IOptions<HelplineOptions> options)
    {
        _time = time;
        _weekly = Enum.GetValues<DayOfWeek>().ToDictionary(
            day => day,
            day => options.Value.OpeningHours.TryGetValue(day, out var text) ? Parse(text, day) : []);
        _holidays = [.. options.Value.Holidays];
    }

    public bool IsOpen(DateTime utc)
    {
        var local = _time.ToLocal(utc);
        if (_holidays.Contains(DateOnly.FromDateTime(local)))
            return false;
        var timeOfDay = local.TimeOfDay;
        return _weekly[local.DayOfWeek].Any(r => timeOfDay >= r.Start && timeOfDay < r.End);
    }

    /// <summary>The first minute at or after <paramref name="utc"/> when the line is open, within two weeks.</summary>
    public DateTime? NextOpening(DateTime utc) => FirstMinute(utc, IsOpen);

    /// <summary>
    /// The first whole minute at or after <paramref name="fromUtc"/> that satisfies <paramref name="ok"/>,
    /// looking two weeks ahead. Walking UTC minutes keeps daylight-saving changes unambiguous.
    /// </summary>
    public static DateTime? FirstMinute(DateTime fromUtc, Func<DateTime, bool> ok)
    {
        var t = new DateTime(fromUtc.Ticks - fromUtc.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc);
        if (t < fromUtc)
            t = t.AddMinutes(1);
        for (var end = t.AddDays(14); t < end; t = t.AddMinutes(1))
        {
            if (ok(t))
                return t;
        }
        return null;
    }

    internal static (TimeSpan Start, TimeSpan End)[] Parse(string text, DayOfWeek day)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("closed", StringComparison.OrdinalIgnoreCase))
            return [];
        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(range =>
        {
            var parts = range.Split('-', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !TryTime(parts[0], out var start) || !TryTime(parts[1], out var end) || end <= start)
                throw new OptionsValidationException("Helpline", typeof(HelplineOptions),
                    [$"Helpline:OpeningHours:{day} has '{range}'; write ranges as HH:mm-HH:mm (end after start, 24:00 for midnight), separated by commas, or 'closed'."]);
            return (start, end);
        })];
    }

    private static bool TryTime(string text, out TimeSpan value)
    {
        if (text == "24:00")
        {
            value = TimeSpan.FromHours(24);
            return true;
        }
        return TimeSpan.TryParseExact(text, @"hh\:mm", CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>Checks the Helpline section at start, so a bad setting stops the app with a clear message.</summary>
internal sealed class HelplineOptionsValidator : IValidateOptions<HelplineOptions>
{
    public ValidateOptionsResult Validate(string? name, HelplineOptions options)
    {
        var errors = new List<string>();
        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors.Add($"Helpline:TimeZone '{options.TimeZone}' is not a known time zone (use an IANA name such as America/New_York).");
        }
        foreach (var (day, text) in options.OpeningHours)
        {
            try
            {
                OpeningHours.Parse(text, day);
            }
            catch (OptionsValidationException e)
            {
                errors.AddRange(e.Failures);
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
