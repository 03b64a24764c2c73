namespace Helpline.Treatment;

/// <summary>US states and territories by their two-letter codes, for headings and the public URLs.</summary>
public static class UsStates
{
    public static readonly IReadOnlyDictionary<string, string> Names = new Dictionary<string, string>
    {
        ["AL"] = "Alabama", ["AK"] = "Alaska", ["AZ"] = "Arizona", ["AR"] = "Arkansas", ["CA"] = "California",
        ["CO"] = "Colorado", ["CT"] = "Connecticut", ["DE"] = "Delaware", ["DC"] = "District of Columbia", ["FL"] = "Florida",
        ["GA"] = "Georgia", ["HI"] = "Hawaii", ["ID"] = "Idaho", ["IL"] = "Illinois", ["IN"] = "Indiana", ["IA"] = "Iowa",
        ["KS"] = "Kansas", ["KY"] = "Kentucky", ["LA"] = "Louisiana", ["ME"] = "Maine", ["MD"] = "Maryland",
        ["MA"] = "Massachusetts", ["MI"] = "Michigan", ["MN"] = "Minnesota", ["MS"] = "Mississippi", ["MO"] = "Missouri",
        ["MT"] = "Montana", ["NE"] = "Nebraska", ["NV"] = "Nevada", ["NH"] = "New Hampshire", ["NJ"] = "New Jersey",
        ["NM"] = "New Mexico", ["NY"] = "New York", ["NC"] = "North Carolina", ["ND"] = "North Dakota", ["OH"] = "Ohio",
        ["OK"] = "Oklahoma", ["OR"] = "Oregon", ["PA"] = "Pennsylvania", ["RI"] = "Rhode Island", ["SC"] = "South Carolina",
        ["SD"] = "South Dakota", ["TN"] = "Tennessee", ["TX"] = "Texas", ["UT"] = "Utah", ["VT"] = "Vermont",
        ["VA"] = "Virginia", ["WA"] = "Washington", ["WV"] = "West Virginia", ["WI"] = "Wisconsin", ["WY"] = "Wyoming",
        ["PR"] = "Puerto Rico", ["GU"] = "Guam", ["VI"] = "U.S. Virgin Islands", ["AS"] = "American Samoa",
        ["MP"] = "Northern Mariana Islands", ["FM"] = "Micronesia", ["MH"] = "Marshall Islands", ["PW"] = "Palau",
    };

    /// <summary>Spanish names, where they differ from the English ones.</summary>
    private static readonly IReadOnlyDictionary<string, string> SpanishNames = new Dictionary<string, string>
    {
        ["DC"] = "Distrito de Columbia", ["HI"] = "Hawái", ["LA"] = "Luisiana", ["MI"] = "Míchigan", ["MS"] = "Misisipi",
        ["MO"] = "Misuri", ["NJ"] = "Nueva Jersey", ["NM"] = "Nuevo México", ["NY"] = "Nueva York", ["NC"] = "Carolina del Norte",
        ["ND"] = "Dakota del Norte", ["OR"] = "Oregón", ["PA"] = "Pensilvania", ["SC"] = "Carolina del Sur", ["SD"] = "Dakota del Sur",
        ["WV"] = "Virginia Occidental", ["PR"] = "Puerto Rico", ["VI"] = "Islas Vírgenes de EE. UU.", ["AS"] = "Samoa Americana",
        ["MP"] = "Islas Marianas del Norte", ["MH"] = "Islas Marshall", ["PW"] = "Palaos",
    };

    /// <summary>Every code with its name in English ("en") or Spanish ("es"), in that language's alphabetical order.</summary>
    public static IReadOnlyList<(string Code, string Name)> InOrder(string lang) =>
        [.. Names.Keys.Select(code => (code, NameOf(code, lang))).OrderBy(s => WithoutAccents(s.Item2), StringComparer.OrdinalIgnoreCase)];

    /// <summary>"Míchigan" sorts as "Michigan", whether or not the machine has culture data.</summary>
    private static string WithoutAccents(string text) => string.Concat(text.Normalize(System.Text.NormalizationForm.FormD)
        .Where(c => System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark));

    public static string NameOf(string code, string lang) =>
        lang == "es" && SpanishNames.TryGetValue(code, out var spanish) ? spanish : NameOf(code);

    /// <summary>The code for "ny", "NY", "New York" or "new-york"; null when it names no state.</summary>
    public static string? Code(string? text)
    {
        // Null when model binding gave up (a GET whose body is an unreadable form leaves every parameter unbound).
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var trimmed = text.Trim();
        if (trimmed.Length == 2 && Names.ContainsKey(trimmed.ToUpperInvariant()))
            return trimmed.ToUpperInvariant();
        var slug = ServiceCodes.Slug(trimmed);
        return Names.FirstOrDefault(n => ServiceCodes.Slug(n.Value) == slug).Key;
    }

    public static string NameOf(string code) => Names.TryGetValue(code, out var name) ? name : code;
}
