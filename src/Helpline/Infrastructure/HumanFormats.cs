using System.Globalization;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace Helpline.Infrastructure;

/// <summary>
/// Phone numbers, times and names of things as a person reads them, in English ("en") and Spanish
/// ("es"). Pages, form messages and the audit trail format through here, so a number or a window
/// reads the same everywhere. Anything that cannot be read as expected is shown as it was given,
/// never an exception: these values come from callers and files.
/// </summary>
public static partial class HumanFormats
{
    private static readonly PhoneNumberUtil Numbers = PhoneNumberUtil.GetInstance();
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    private static readonly CultureInfo Spanish = CultureInfo.GetCultureInfo("es-US");

    /// <summary>"+18005550100" → "1-800-555-0100"; other countries in their international form ("+44 20 7946 0958").</summary>
    public static string Phone(string? number)
    {
        if (Parse(number) is not { } parsed)
            return number ?? "";
        var international = Numbers.Format(parsed, PhoneNumberFormat.INTERNATIONAL);
        // North American numbers are written 1-800-555-0100 here, the way they are dialled.
        return parsed.CountryCode == 1 ? "1-" + international["+1 ".Length..].Replace(' ', '-') : international;
    }

    /// <summary>A <c>tel:</c> link in E.164 ("tel:+18005550100"); a number that cannot be read keeps only its digits and +.</summary>
    public static string Tel(string? number) =>
        "tel:" + (Parse(number) is { } parsed
            ? Numbers.Format(parsed, PhoneNumberFormat.E164)
            : new string((number ?? "").Where(c => char.IsAsciiDigit(c) || c == '+').ToArray()));

    private static PhoneNumber? Parse(string? number)
    {
        if (string.IsNullOrWhiteSpace(number) || number.Length > 64)
            return null;
        try
        {
            var parsed = Numbers.Parse(number, "US");
            return Numbers.IsPossibleNumber(parsed) ? parsed : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>"8 AM", "8:30 PM"; in Spanish "8 a. m.", "8:30 p. m.".</summary>
    public static string Time(TimeOnly time, string lang)
    {
        var hour = time.Hour % 12 == 0 ? 12 : time.Hour % 12;
        var clock = time.Minute == 0 ? $"{hour}" : $"{hour}:{time.Minute:00}";
        return lang == "es"
            ? $"{clock} {(time.Hour < 12 ? "a. m." : "p. m.")}"
            : $"{clock} {(time.Hour < 12 ? "AM" : "PM")}";
    }

    /// <summary>"8 AM–9 PM Eastern time" (Spanish: "8 a. m.–9 p. m., hora del Este"): a window named in the caller's zone.</summary>
    public static string Window(TimeOnly from, TimeOnly until, string? timeZone, string lang)
    {
        var span = $"{Time(from, lang)}–{Time(until, lang)}";
        return timeZone is null ? span : lang == "es" ? $"{span}, {ZoneName(timeZone, lang)}" : $"{span} {ZoneName(timeZone, lang)}";
    }

    /// <summary>"Dec 5, 2026, 8:14 AM Eastern time": a moment on the caller's clock, not the reader's.</summary>
    public static string Moment(DateTime utc, string? timeZone, string lang)
    {
        var zone = FindZone(timeZone) ?? TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone);
        var day = local.ToString(lang == "es" ? "d MMM yyyy" : "MMM d, yyyy", lang == "es" ? Spanish : English);
        var name = zone == TimeZoneInfo.Utc ? "UTC" : ZoneName(timeZone!, lang);
        return lang == "es"
            ? $"{day}, {Time(TimeOnly.FromDateTime(local), lang)}, {name}"
            : $"{day}, {Time(TimeOnly.FromDateTime(local), lang)} {name}";
    }

    /// <summary>The zones the form offers first, with their names in both languages; anything else IANA knows is named by its id.</summary>
    public static readonly IReadOnlyList<(string Id, string English, string Spanish)> UsZones =
    [
        ("America/New_York", "Eastern time", "hora del Este"),
        ("America/Chicago", "Central time", "hora del Centro"),
        ("America/Denver", "Mountain time", "hora de la Montaña"),
        ("America/Phoenix", "Arizona time", "hora de Arizona"),
        ("America/Los_Angeles", "Pacific time", "hora del Pacífico"),
        ("America/Anchorage", "Alaska time", "hora de Alaska"),
        ("Pacific/Honolulu", "Hawaii time", "hora de Hawái"),
        ("America/Puerto_Rico", "Puerto Rico time", "hora de Puerto Rico"),
    ];

    /// <summary>
    /// The zone, when the id names one this machine knows. Only zone-like ids are looked up: the lookup
    /// reads a file named after the id, and some odd ids make it throw rather than say "not found".
    /// </summary>
    public static TimeZoneInfo? FindZone(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && ZoneId().IsMatch(id) && !id.Contains("..", StringComparison.Ordinal) &&
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;

    public static string ZoneName(string timeZone, string lang) =>
        UsZones.FirstOrDefault(z => z.Id == timeZone) is { Id: not null } zone
            ? lang == "es" ? zone.Spanish : zone.English
            : lang == "es" ? $"hora de {timeZone}" : $"{timeZone} time";

    /// <summary>"CallbackScheduled" → "Callback scheduled", "CrisisEscalated911" → "Crisis escalated to 911" (Spanish where the caller sees it).</summary>
    public static string Label<T>(T value, string lang = "en") where T : struct, Enum
    {
        var name = value.ToString();
        if (lang == "es" && SpanishLabels.TryGetValue($"{typeof(T).Name}.{name}", out var spanish))
            return spanish;
        return EnglishLabels.TryGetValue($"{typeof(T).Name}.{name}", out var english) ? english : Words(name);
    }

    private static string Words(string name)
    {
        var words = WordStart().Split(name).Where(w => w.Length > 0).ToList();
        return words.Count == 0 ? name : string.Join(' ', words.Select((w, i) => i == 0 ? w : w.ToLowerInvariant()));
    }

    private static readonly Dictionary<string, string> EnglishLabels = new()
    {
        ["Disposition.CrisisEscalated911"] = "Crisis escalated to 911",
        ["Disposition.CrisisEscalated988"] = "Crisis escalated to 988",
        ["Disposition.HangUp"] = "Hang-up",
    };

    private static readonly Dictionary<string, string> SpanishLabels = new()
    {
        ["ContactFor.Self"] = "Para sí mismo",
        ["ContactFor.LovedOne"] = "Para un ser querido",
        ["CallerLanguage.English"] = "Inglés",
        ["CallerLanguage.Spanish"] = "Español",
    };

    /// <summary>
    /// An audit entry's details with the enum names written into it turned into labels
    /// ("disposition CallbackScheduled" → "disposition: Callback scheduled"). Older entries keep
    /// their stored text; only how it is shown changes.
    /// </summary>
    public static string? AuditDetails(string? details)
    {
        if (string.IsNullOrEmpty(details))
            return details;
        return AuditEnum().Replace(details, m =>
        {
            var value = m.Groups["value"].Value;
            string? label = m.Groups["kind"].Value switch
            {
                "disposition" when Enum.TryParse<Contacts.Disposition>(value, out var d) && Enum.IsDefined(d) => Label(d),
                "priority" when Enum.TryParse<Contacts.ContactPriority>(value, out var p) && Enum.IsDefined(p) => Label(p),
                _ => null,
            };
            return label is null ? m.Value : $"{m.Groups["kind"].Value}: {label}";
        });
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*\z")]
    private static partial Regex ZoneId();

    [GeneratedRegex(@"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])")]
    private static partial Regex WordStart();

    [GeneratedRegex(@"\b(?<kind>disposition|priority) (?<value>[A-Z][A-Za-z0-9]+)\b")]
    private static partial Regex AuditEnum();
}
