namespace Helpline.Treatment;

/// <summary>
/// SAMHSA's service codes (as SAMHSA publishes them with its files): the services advisors search
/// by, and the labels the locator's JSON uses for them.
/// </summary>
public static class ServiceCodes
{
    /// <summary>A service an advisor can search by, and the codes that mean a facility offers it (any of them).</summary>
    public sealed record SearchService(string Name, string Label, string[] Codes);

    public static readonly IReadOnlyList<SearchService> Searchable =
    [
        new("detox", "Detox", ["DT"]),
        // An opioid treatment program is where methadone is dispensed.
        new("methadone", "Methadone", ["MU", "OTP"]),
        new("buprenorphine", "Buprenorphine", ["BU"]),
        new("naltrexone", "Naltrexone", ["NU"]),
        new("residential", "Residential", ["RES"]),
        new("outpatient", "Outpatient", ["OP"]),
        new("medicaid", "Medicaid", ["MD"]),
        new("sliding-fee", "Sliding fee", ["SS"]),
        new("spanish", "Spanish", ["SP"]),
    ];

    /// <summary>The service for a name as an advisor types it (<c>detox</c>, <c>Sliding fee</c>, <c>sliding-fee</c>), or null.</summary>
    public static SearchService? Find(string name)
    {
        var wanted = Slug(name);
        return Searchable.FirstOrDefault(s => s.Name == wanted || Slug(s.Label) == wanted);
    }

    /// <summary>Labels in the locator JSON's <c>services[].f3</c> (lower case, matched as a prefix) and their codes.</summary>
    private static readonly (string Label, string Code)[] Labels =
    [
        ("substance use treatment", "SA"),
        ("mental health treatment", "MH"),
        ("detoxification", "DT"),
        ("detox", "DT"),
        ("withdrawal management", "DT"),
        ("opioid treatment program", "OTP"),
        ("methadone", "MU"),
        ("buprenorphine", "BU"),
        ("naltrexone", "NU"),
        ("hospital inpatient", "HI"),
        ("outpatient", "OP"),
        ("residential", "RES"),
        ("medicaid", "MD"),
        ("medicare", "MC"),
        ("private health insurance", "PI"),
        ("sliding fee", "SS"),
        ("spanish", "SP"),
        ("cash or self-payment", "SF"),
    ];

    /// <summary>The code for one of the JSON's value labels; a value that is itself a code (<c>DT</c>) is kept.</summary>
    public static string? FromLabel(string value)
    {
        var label = value.Trim().ToLowerInvariant();
        if (label.Length == 0)
            return null;
        foreach (var (prefix, code) in Labels)
        {
            if (label.StartsWith(prefix, StringComparison.Ordinal))
                return code;
        }
        return IsCode(value.Trim()) ? value.Trim().ToUpperInvariant() : null;
    }

    /// <summary>What a code looks like: 1 to 8 letters and digits (DT, OTP, F17, SMHA).</summary>
    public static bool IsCode(string value) => value.Length is >= 1 and <= 8 && value.All(char.IsAsciiLetterOrDigit);

    public static string Slug(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        var dash = false;
        // "Cataño" becomes "catano": letters keep their base letter, accents go.
        var plain = text.Trim().ToLowerInvariant().Normalize(System.Text.NormalizationForm.FormD)
            .Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark);
        foreach (var c in plain)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (dash && builder.Length > 0)
                    builder.Append('-');
                builder.Append(c);
                dash = false;
            }
            else if (c != '\'' && c != '.')
            {
                dash = true;
            }
        }
        return builder.ToString();
    }
}
