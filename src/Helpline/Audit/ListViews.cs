using System.Collections.Concurrent;
using System.Security.Claims;
using Helpline.Data;
using Helpline.Infrastructure;

namespace Helpline.Audit;

/// <summary>
/// Audits the viewing of lists that show callers (masked numbers, contact ids, block reasons): one
/// row per viewing, naming the list and the contacts on it. A view that refreshes itself (the
/// wallboard's missed callbacks, every 30 s and on every change) is recorded when what it shows
/// changes for that member of staff, not at every refresh: the trail says who saw which contacts
/// without drowning in repeats. That memory is per process: a restart records the next refresh again.
/// </summary>
public sealed class ListViews(TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string User, string View), string> _lastShown = new();

    /// <summary>Writes the row (saved with the next SaveChanges of <paramref name="db"/>, or now).</summary>
    public async Task AuditAsync(HelplineDb db, ClaimsPrincipal user, string action, string list, IReadOnlyCollection<long> contactIds)
    {
        db.AuditEntries.Add(AuditEntry.By(user, clock.GetUtcNow().UtcDateTime, action, Describe(list, contactIds)));
        await db.SaveChangesAsync();
    }

    /// <summary>For a self-refreshing view: audits only when it shows this member of staff something else than last time.</summary>
    public async Task AuditWhenChangedAsync(HelplineDb db, ClaimsPrincipal user, string action, string list, IReadOnlyCollection<long> contactIds)
    {
        var key = (user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", action + " " + list);
        var shown = string.Join(',', contactIds);
        if (_lastShown.TryGetValue(key, out var last) && last == shown)
            return;
        await AuditAsync(db, user, action, list, contactIds);
        _lastShown[key] = shown;
    }

    /// <summary>"missed: 3 row(s), contacts 12, 15, 40" — cut to fit the column, saying how many more.</summary>
    private static string Describe(string list, IReadOnlyCollection<long> contactIds)
    {
        var text = $"{list}: {contactIds.Count} row(s)" + (contactIds.Count == 0 ? "" : ", contacts ");
        var shown = 0;
        foreach (var id in contactIds)
        {
            var next = (shown == 0 ? "" : ", ") + id;
            if (text.Length + next.Length > 960)
                return text + $" and {contactIds.Count - shown} more";
            text += next;
            shown++;
        }
        return text;
    }
}
