using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Chat;

/// <summary>
/// Supervisors keep the list of words that raise a waiting chat to Urgent: add a phrase, take one off
/// (a configured one can be put back), and try a message against the list before relying on it.
/// Every change is audited. Plain forms with antiforgery.
/// </summary>
[Authorize(Policy = AccountsExtensions.SupervisorPolicy)]
public sealed class RiskWordsModel(HelplineDb db, HelplineTime time, RiskWords risk) : PageModel
{
    public const int MaxTryLength = 2000;

    public IReadOnlyList<RiskWords.Phrase> InForce { get; private set; } = [];
    public IReadOnlyList<RiskWords.Phrase> TakenOff { get; private set; } = [];

    public string? Problem { get; private set; }

    /// <summary>The message tried, and the phrases it would raise a chat for.</summary>
    public (string Text, IReadOnlyList<string> Found)? Tried { get; private set; }

    [TempData]
    public string? Done { get; set; }

    /// <summary>A moment on the helpline's clock, as the page shows it.</summary>
    public string When(DateTime utc) => time.ToLocal(utc).ToString("d MMM yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAddAsync(string? phrase)
    {
        var normalized = RiskWords.Normalize(phrase ?? "");
        if (normalized.Length < 2 || normalized.Length > RiskWords.MaxPhraseLength || !normalized.Any(char.IsLetter))
            return await RefusedAsync($"Write a word or phrase of 2 to {RiskWords.MaxPhraseLength} characters, with at least one letter.");
        var (inForce, _) = await risk.ListAsync(db);
        if (inForce.Any(p => p.Text == normalized))
            return await RefusedAsync($"\u201c{normalized}\u201d is already on the list.", StatusCodes.Status409Conflict);
        await ChangeAsync(normalized, listed: true, "chat.risk-word-added");
        Done = $"\u201c{normalized}\u201d now raises a waiting chat to Urgent.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? phrase)
    {
        var normalized = RiskWords.Normalize(phrase ?? "");
        var (inForce, _) = await risk.ListAsync(db);
        if (!inForce.Any(p => p.Text == normalized))
            return await RefusedAsync("That phrase is not on the list (someone may have just taken it off).", StatusCodes.Status409Conflict);
        await ChangeAsync(normalized, listed: false, "chat.risk-word-removed");
        Done = $"\u201c{normalized}\u201d no longer raises a chat.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostTryAsync(string? text)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxTryLength)
            return await RefusedAsync($"Write a message of up to {MaxTryLength:N0} characters to try.");
        // Nothing is stored: the message is only matched, as a person's would be.
        Tried = (text, await risk.FindAsync(db, text));
        await LoadAsync();
        return Page();
    }

    /// <summary>
    /// One row per phrase holds its latest state: a configured phrase taken off is kept as not listed;
    /// an added phrase taken off is simply gone. The change and its audit entry commit together.
    /// </summary>
    private async Task ChangeAsync(string phrase, bool listed, string action)
    {
        var now = time.UtcNow;
        var by = User.Identity?.Name;
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        await db.RiskPhraseEdits.Where(e => e.Phrase == phrase).ExecuteDeleteAsync();
        if (listed != risk.IsConfigured(phrase))
            db.RiskPhraseEdits.Add(new RiskPhraseEdit { Phrase = phrase, Listed = listed, ChangedAt = now, ChangedByName = by });
        db.AuditEntries.Add(new AuditEntry
        {
            At = now,
            UserId = User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            UserName = by,
            Action = action,
            Details = $"\u201c{phrase}\u201d" + (risk.IsConfigured(phrase) ? " (configured)" : ""),
        });
        try
        {
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Another supervisor made the same change at the same moment: theirs stands, with its audit entry.
            db.ChangeTracker.Clear();
        }
        risk.Changed();
    }

    private async Task<IActionResult> RefusedAsync(string problem, int statusCode = StatusCodes.Status400BadRequest)
    {
        Problem = problem;
        Response.StatusCode = statusCode;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync() => (InForce, TakenOff) = await risk.ListAsync(db);
}
