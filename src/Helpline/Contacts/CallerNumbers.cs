using PhoneNumbers;

namespace Helpline.Contacts;

/// <summary>Phone-number facts the app needs: E.164 form, withheld caller IDs, time zone, masking.</summary>
public static class CallerNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private static readonly PhoneNumberToTimeZonesMapper Zones = PhoneNumberToTimeZonesMapper.GetInstance();

    /// <summary>
    /// What Twilio sends in From when the caller ID is withheld: "anonymous", or one of its
    /// placeholder numbers that spell ANONYMOUS, UNKNOWN, UNAVAILABLE, RESTRICTED or BLOCKED.
    /// </summary>
    private static readonly HashSet<string> WithheldPlaceholders = new(StringComparer.OrdinalIgnoreCase)
    {
        "anonymous", "unknown", "restricted", "private", "unavailable", "blocked",
        "+266696687", "+8656696", "+86282452253", "+7378742833", "+2562533",
    };

    /// <summary>The number in E.164 when it is a real, callable number; null when withheld or unusable.</summary>
    public static string? CallableE164(string? from)
    {
        if (string.IsNullOrWhiteSpace(from) || WithheldPlaceholders.Contains(from.Trim()))
            return null;
        return TryNormalize(from, "US", out var e164) ? e164 : null;
    }

    public static bool TryNormalize(string input, string defaultRegion, out string e164)
    {
        e164 = "";
        if (input.Length > 64)
            return false;
        try
        {
            var number = Util.Parse(input, defaultRegion);
            if (!Util.IsValidNumber(number))
                return false;
            e164 = Util.Format(number, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>The caller's likely IANA time zone from the number, or <paramref name="fallback"/>.</summary>
    public static string TimeZoneOf(string e164, string fallback)
    {
        try
        {
            var zones = Zones.GetTimeZonesForNumber(Util.Parse(e164, null))
                .Where(z => z != Zones.GetUnknownTimeZone())
                .ToList();
            return zones.Count switch
            {
                0 => fallback,
                1 => zones[0],
                _ => zones.Contains(fallback) ? fallback : zones[0],
            };
        }
        catch (NumberParseException)
        {
            return fallback;
        }
    }

    /// <summary>Only the last four digits, for queue rows and dashboards.</summary>
    public static string Mask(string? e164) =>
        e164 is { Length: >= 4 } ? "•••• " + e164[^4..] : "withheld";
}
