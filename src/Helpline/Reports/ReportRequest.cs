using System.Globalization;
using Helpline.Contacts;
using Helpline.Infrastructure;

namespace Helpline.Reports;

/// <summary>
/// A report's range and filters as the page's form (and the export links) send them:
/// range=today|7d|30d|custom with from/to (yyyy-MM-dd, the helpline's local days), channel,
/// advisor, language, region. Reading them gives a filter or the reason they make no sense.
/// </summary>
public static class ReportRequest
{
    public const int LongestRangeDays = 400;

    public static readonly IReadOnlyList<(string Key, string Label)> Ranges =
        [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("custom", "Custom")];

    public static bool TryRead(IQueryCollection query, HelplineTime time, out ReportFilter filter, out string? problem)
    {
        var today = time.Stamp(time.UtcNow).Date;
        filter = new ReportFilter(today, today);
        if (ReadDays(query, today, out problem) is not { } days)
            return false;
        if (!TryEnum<ContactChannel>(query["channel"], out var channel))
        {
            problem = "Unknown channel.";
            return false;
        }
        if (!TryEnum<CallerLanguage>(query["language"], out var language))
        {
            problem = "Unknown language.";
            return false;
        }
        var advisor = query["advisor"].ToString() is { Length: > 0 and <= 64 } a ? a : null;
        var region = query["region"].ToString() is { Length: > 0 and <= 64 } g ? g.Trim() : null;
        filter = new ReportFilter(days.From, days.To, channel, advisor, language, region);
        return true;
    }

    /// <summary>The local days the range covers (the last 7 when none is given); null, with the reason, when it makes no sense.</summary>
    private static (DateOnly From, DateOnly To)? ReadDays(IQueryCollection query, DateOnly today, out string? problem)
    {
        problem = null;
        switch (query["range"].ToString() is { Length: > 0 } r ? r : "7d")
        {
            case "today":
                return (today, today);
            case "7d":
                return (today.AddDays(-6), today);
            case "30d":
                return (today.AddDays(-29), today);
            case "custom":
                return ReadCustomDays(query, out problem);
            default:
                problem = "Unknown range: choose today, the last 7 or 30 days, or a custom range.";
                return null;
        }
    }

    private static (DateOnly From, DateOnly To)? ReadCustomDays(IQueryCollection query, out string? problem)
    {
        if (!DateOnly.TryParseExact(query["from"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            || !DateOnly.TryParseExact(query["to"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to))
        {
            problem = "Give both days of a custom range (from and to).";
            return null;
        }
        if (to < from)
            problem = "The range must end on or after the day it starts.";
        else if (to.DayNumber - from.DayNumber + 1 > LongestRangeDays)
            problem = $"A report covers at most {LongestRangeDays} days.";
        else
            problem = null;
        return problem is null ? (from, to) : null;
    }

    /// <summary>An optional enum value by name: absent is null; a name it does not have is refused.</summary>
    private static bool TryEnum<T>(string? text, out T? value) where T : struct, Enum
    {
        value = null;
        if (string.IsNullOrEmpty(text))
            return true;
        if (!Enum.TryParse<T>(text, ignoreCase: false, out var parsed) || !Enum.IsDefined(parsed))
            return false;
        value = parsed;
        return true;
    }

    /// <summary>The query string that asks for the same report (for export links).</summary>
    public static string QueryOf(ReportFilter filter)
    {
        var parts = new List<string> { "range=custom", $"from={filter.From:yyyy-MM-dd}", $"to={filter.To:yyyy-MM-dd}" };
        if (filter.Channel is { } c)
            parts.Add($"channel={c}");
        if (filter.AdvisorId is { } a)
            parts.Add($"advisor={Uri.EscapeDataString(a)}");
        if (filter.Language is { } l)
            parts.Add($"language={l}");
        if (filter.Region is { } r)
            parts.Add($"region={Uri.EscapeDataString(r)}");
        return string.Join('&', parts);
    }
}
