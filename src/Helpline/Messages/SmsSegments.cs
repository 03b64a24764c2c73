namespace Helpline.Messages;

/// <summary>How many characters a text has and how many SMS parts it is billed and sent as.</summary>
/// <param name="Unicode">True when a character outside the GSM-7 alphabet (such as á, í, ó, ú or an emoji) forces UCS-2, which fits 70 to a part instead of 160.</param>
/// <param name="FirstUnicodeCharacter">The first such character, to show the advisor why.</param>
public sealed record SmsCount(int Characters, int Segments, bool Unicode, string? FirstUnicodeCharacter);

/// <summary>
/// The SMS segment count the advisor sees under the reply box (wwwroot/js/sms-segments.js counts the
/// same way in the browser). A text in the GSM-7 alphabet fits 160 characters in one part, 153 in
/// each part of a longer one; the characters ^ { } \ [ ~ ] | € take two. One character outside it
/// makes the whole text UCS-2: 70 in one part, 67 in each part of a longer one, counted in UTF-16
/// units. A part never splits a two-unit character.
/// </summary>
public static class SmsSegments
{
    /// <summary>Twilio's limit on a message body, in characters.</summary>
    public const int MaxLength = 1600;

    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string Extension = "^{}\\[~]|€\f";

    public static SmsCount Count(string text)
    {
        string? unicode = null;
        for (var i = 0; i < text.Length && unicode is null; i++)
        {
            if (!Basic.Contains(text[i]) && !Extension.Contains(text[i]))
                unicode = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? text.Substring(i, 2) : text[i].ToString();
        }
        if (text.Length == 0)
            return new SmsCount(0, 0, false, null);
        var costs = unicode is null
            ? text.Select(c => Extension.Contains(c) ? 2 : 1).ToList()
            : Units(text);
        var (single, part) = unicode is null ? (160, 153) : (70, 67);
        return new SmsCount(text.Length, costs.Sum() <= single ? 1 : Parts(costs, part), unicode is not null, unicode);
    }

    /// <summary>UCS-2 costs: one per UTF-16 unit, a surrogate pair kept together as one item of two.</summary>
    private static List<int> Units(string text)
    {
        var costs = new List<int>();
        for (var i = 0; i < text.Length; i++)
        {
            var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            costs.Add(pair ? 2 : 1);
            if (pair)
                i++;
        }
        return costs;
    }

    private static int Parts(List<int> costs, int perPart)
    {
        int parts = 1, used = 0;
        foreach (var cost in costs)
        {
            if (used + cost > perPart)
            {
                parts++;
                used = 0;
            }
            used += cost;
        }
        return parts;
    }
}
