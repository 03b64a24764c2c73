using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// Finds words of immediate danger in what a person writes ("took too many", "can't breathe"), as
/// whole words, whatever the case, accents or kind of apostrophe. The list is the configured one
/// (<see cref="ChatOptions.RiskPhrases"/>) as supervisors have changed it on the risk words page:
/// phrases added, configured ones taken off. A change applies at once on the node where it was made,
/// and within <see cref="RefreshAfter"/> on the others.
/// </summary>
public sealed class RiskWords(IOptions<ChatOptions> options)
{
    public const int MaxPhraseLength = 100;

    public static readonly TimeSpan RefreshAfter = TimeSpan.FromSeconds(30);

    private readonly string[] _configured = [.. (options.Value.RiskPhrases is { Length: > 0 } configured ? configured : ChatOptions.DefaultRiskPhrases)
        .Select(p => Normalize(p)).Where(p => p.Length > 0).Distinct()];

    private volatile Snapshot? _current;

    private sealed record Snapshot(long LoadedAt, (string Phrase, Regex Pattern)[] Patterns);

    /// <summary>A phrase in force, and whether it comes from the settings or was added on the page (by whom, when).</summary>
    public sealed record Phrase(string Text, bool Configured, string? AddedBy, DateTime? AddedAt);

    /// <summary>The phrases found in <paramref name="text"/>, in the list's order; empty when none.</summary>
    public async Task<IReadOnlyList<string>> FindAsync(HelplineDb db, string text, CancellationToken cancellationToken = default)
    {
        var snapshot = await CurrentAsync(db, cancellationToken);
        var normalized = Normalize(text);
        return [.. snapshot.Patterns.Where(p => Matches(p.Pattern, normalized)).Select(p => p.Phrase)];
    }

    /// <summary>The phrases in force, configured ones first; and the configured ones taken off the list.</summary>
    public async Task<(IReadOnlyList<Phrase> InForce, IReadOnlyList<Phrase> TakenOff)> ListAsync(HelplineDb db, CancellationToken cancellationToken = default)
    {
        var edits = await db.RiskPhraseEdits.AsNoTracking().ToListAsync(cancellationToken);
        var byPhrase = edits.ToDictionary(e => e.Phrase, StringComparer.Ordinal);
        var inForce = InForce(edits).Select(p => byPhrase.TryGetValue(p, out var e) && !IsConfigured(p)
            ? new Phrase(p, false, e.ChangedByName, e.ChangedAt)
            : new Phrase(p, true, null, null)).ToList();
        var takenOff = edits.Where(e => !e.Listed && IsConfigured(e.Phrase)).OrderBy(e => Array.IndexOf(_configured, e.Phrase))
            .Select(e => new Phrase(e.Phrase, true, e.ChangedByName, e.ChangedAt)).ToList();
        return (inForce, takenOff);
    }

    public bool IsConfigured(string normalizedPhrase) => _configured.Contains(normalizedPhrase, StringComparer.Ordinal);

    /// <summary>The list changed on this node: the next message reads it again.</summary>
    public void Changed() => _current = null;

    private async Task<Snapshot> CurrentAsync(HelplineDb db, CancellationToken cancellationToken)
    {
        if (_current is { } current && Environment.TickCount64 - current.LoadedAt < RefreshAfter.TotalMilliseconds)
            return current;
        var edits = await db.RiskPhraseEdits.AsNoTracking().ToListAsync(cancellationToken);
        var snapshot = new Snapshot(Environment.TickCount64, [.. InForce(edits).Select(p => (p, PatternOf(p)))]);
        _current = snapshot;
        return snapshot;
    }

    /// <summary>Configured phrases not taken off, in their order; then those added, oldest first.</summary>
    private IEnumerable<string> InForce(List<RiskPhraseEdit> edits)
    {
        var takenOff = edits.Where(e => !e.Listed).Select(e => e.Phrase).ToHashSet(StringComparer.Ordinal);
        return _configured.Where(p => !takenOff.Contains(p))
            .Concat(edits.Where(e => e.Listed && !IsConfigured(e.Phrase)).OrderBy(e => e.ChangedAt).ThenBy(e => e.Phrase, StringComparer.Ordinal).Select(e => e.Phrase));
    }

    private static Regex PatternOf(string phrase) =>
        new($@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(phrase).Replace(@"\ ", @"\s+")}(?![\p{{L}}\p{{N}}])", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(500));

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
    public static string Normalize(string text)
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
