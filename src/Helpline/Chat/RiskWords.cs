using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// Finds words of immediate danger in what a person writes ("took too many", "can't breathe"), as
/// whole words, whatever the case, accents or kind of apostrophe.
/// </summary>
public sealed class RiskWords
{
    private readonly (string Phrase, Regex Pattern)[] _phrases;

    public RiskWords(IOptions<ChatOptions> options)
    {
        var phrases = options.Value.RiskPhrases is { Length: > 0 } configured ? configured : ChatOptions.DefaultRiskPhrases;
        _phrases = [.. phrases
            .Select(p => Normalize(p))
            .Where(p => p.Length > 0)
            .Distinct()
            .Select(p => (p, new Regex($@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(p).Replace(@"\ ", @"\s+")}(?![\p{{L}}\p{{N}}])", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(500))))];
    }

    /// <summary>The phrases found in <paramref name="text"/>, in the list's order; empty when none.</summary>
    public IReadOnlyList<string> Find(string text)
    {
        var normalized = Normalize(text);
        return [.. _phrases.Where(p => Matches(p.Pattern, normalized)).Select(p => p.Phrase)];
    }

    /// <summary>A phrase is a plain literal, so a match never takes long; on a starved machine a timeout counts as no match rather than losing the message.</summary>
    private static bool Matches(Regex pattern, string text)
    {
        try
        {
            return pattern.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    /// <summary>Lower case, accents removed, curly apostrophes straightened, runs of spaces made one.</summary>
    internal static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var plain = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
                continue;
            plain.Append(c is '\u2019' or '\u2018' or '\u02BC' or '`' ? '\'' : char.ToLowerInvariant(c));
        }
        return Regex.Replace(plain.ToString(), @"\s+", " ").Trim();
    }
}
