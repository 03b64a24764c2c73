using System.ComponentModel.DataAnnotations;

namespace Helpline.Infrastructure;

/// <summary>The helpline itself: its name, numbers, time zone and opening hours (section "Helpline").</summary>
public sealed class HelplineOptions
{
    [Required]
    public string Name { get; set; } = "Helpline";

    /// <summary>The hotline callers dial (E.164); shown on public pages and used as caller ID for callbacks.</summary>
    [Required, RegularExpression(@"^\+[1-9]\d{6,14}$", ErrorMessage = "Helpline:HotlineNumber must be in E.164 form, e.g. +18005550100.")]
    public string HotlineNumber { get; set; } = "";

    /// <summary>
    /// The crisis line that "press 9" dials. Twilio cannot dial three-digit codes such as 988,
    /// so this is a full ten-digit number in E.164 form.
    /// </summary>
    [Required, RegularExpression(@"^\+1[2-9]\d{9}$", ErrorMessage = "Helpline:CrisisLineNumber must be a ten-digit North American number in E.164 form (+1 and ten digits); three-digit codes such as 988 cannot be dialled by Twilio.")]
    public string CrisisLineNumber { get; set; } = "";

    /// <summary>IANA time zone of the helpline: opening hours and report days are in it.</summary>
    [Required]
    public string TimeZone { get; set; } = "America/New_York";

    /// <summary>Opening hours per weekday, e.g. "08:00-22:00", "08:00-12:00,13:00-17:00", "00:00-24:00" or "closed".</summary>
    public Dictionary<DayOfWeek, string> OpeningHours { get; set; } = [];

    /// <summary>Dates (helpline-local) on which the line is closed all day.</summary>
    public List<DateOnly> Holidays { get; set; } = [];
}
