using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Blocking;

/// <summary>
/// Supervisors block an abusive number for a number of days, with a reason, and may lift a block
/// early; a number can also be blocked from a contact, so the supervisor never needs to see it.
/// Every block and lift is audited. Plain forms with antiforgery.
/// </summary>
[Authorize(Policy = AccountsExtensions.SupervisorPolicy)]
public sealed class BlockedNumbersModel(HelplineDb db, HelplineTime time, ListViews views, QueuedCallbacks callbacks) : PageModel
{
    public const int MaxDays = 365;
    public const int MaxReasonLength = 500;

    public sealed record Row(long Id, string MaskedNumber, string Reason, DateTime BlockedAtLocal, DateTime UntilLocal, string? BlockedBy, long? ContactId, DateTime? LiftedAtLocal, string? LiftedBy, bool Active);

    public IReadOnlyList<Row> Active { get; private set; } = [];
    public IReadOnlyList<Row> Past { get; private set; } = [];

    public string? Problem { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostBlockAsync(string? number, int? days, string? reason, long? contactId)
    {
        if (days is not (>= 1 and <= MaxDays))
            return await RefusedAsync($"Give a number of days from 1 to {MaxDays}.");
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength)
            return await RefusedAsync($"Give a reason (at most {MaxReasonLength} characters), without the caller's details.");

        var (hash, masked, problem) = await WhatToBlockAsync(number, contactId);
        if (hash is null)
            return await RefusedAsync(problem!);

        var now = time.UtcNow;
        var blocked = NewBlock(hash, masked!, days.Value, reason, contactId, now);
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        db.BlockedNumbers.Add(blocked);
        await db.SaveChangesAsync();
        db.AuditEntries.Add(new AuditEntry
        {
            At = now,
            UserId = blocked.BlockedById,
            UserName = blocked.BlockedByName,
            Action = "number.blocked",
            ContactId = contactId,
            Details = $"block {blocked.Id}: {blocked.MaskedNumber} for {days} day(s)",
        });
        // Every callback this number asked for and not yet made is cancelled with the block: scheduled,
        // due in the queue (it leaves the queue now), or being dialled (the phones stop ringing).
        var cancelled = await callbacks.CancelForBlockAsync(blocked.PhoneHash, blocked.Id, blocked.BlockedById, blocked.BlockedByName, now);
        await transaction.CommitAsync();
        await callbacks.AfterBlockAsync(cancelled);
        Done = $"{blocked.MaskedNumber} is blocked until {time.ToLocal(blocked.Until):ddd d MMM yyyy HH:mm}."
            + (cancelled.ContactIds.Count switch { 0 => "", 1 => " Its pending callback is cancelled.", var n => $" Its {n} pending callbacks are cancelled." });
        return RedirectToPage();
    }

    /// <summary>
    /// What a block keys on, and how the list shows it: the blind index of the contact's caller's
    /// number or of the number typed; for a web chat, the keyed hash of the address it came from.
    /// Or why there is nothing to block.
    /// </summary>
    private async Task<(string? Hash, string? Masked, string? Problem)> WhatToBlockAsync(string? number, long? contactId)
    {
        if (contactId is { } id)
        {
            var contact = await db.Contacts.AsNoTracking().Where(c => c.Id == id)
                .Select(c => new { c.Channel, Number = c.Caller!.PhoneNumber, Address = c.Conversation!.AddressHash }).SingleOrDefaultAsync();
            if (contact?.Channel == ContactChannel.Chat && contact.Address is { Length: > 0 } address)
                return (address, "web chat", null);
            return contact?.Number is { } callerNumber
                ? (db.Protector.BlindIndex(callerNumber), CallerNumbers.Mask(callerNumber), null)
                : (null, null, "That contact has no number to block (unknown contact, or the caller ID was withheld).");
        }
        return number is not null && CallerNumbers.TryNormalize(number.Trim(), "US", out var e164)
            ? (db.Protector.BlindIndex(e164), CallerNumbers.Mask(e164), null)
            : (null, null, "That is not a phone number. Write it as 212 555 0147, or with + and the country code.");
    }

    private BlockedNumber NewBlock(string hash, string masked, int days, string reason, long? contactId, DateTime now) => new()
    {
        PhoneHash = hash,
        MaskedNumber = masked,
        Reason = reason,
        BlockedAt = now,
        Until = now.AddDays(days),
        BlockedById = User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
        BlockedByName = User.Identity?.Name,
        ContactId = contactId,
    };

    public async Task<IActionResult> OnPostLiftAsync(long id)
    {
        var now = time.UtcNow;
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        var lifted = await db.BlockedNumbers.InForce(now).Where(b => b.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.LiftedAt, now).SetProperty(b => b.LiftedByName, User.Identity!.Name));
        if (lifted == 0)
            return await RefusedAsync("That block has already ended.", StatusCodes.Status409Conflict);
        var block = await db.BlockedNumbers.AsNoTracking().Where(b => b.Id == id).Select(b => new { b.MaskedNumber, b.ContactId }).SingleAsync();
        db.AuditEntries.Add(new AuditEntry
        {
            At = now,
            UserId = User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            UserName = User.Identity?.Name,
            Action = "number.unblocked",
            ContactId = block.ContactId,
            Details = $"block {id}: {block.MaskedNumber}",
        });
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        Done = $"{block.MaskedNumber} is no longer blocked.";
        return RedirectToPage();
    }

    private async Task<IActionResult> RefusedAsync(string problem, int statusCode = StatusCodes.Status400BadRequest)
    {
        Problem = problem;
        Response.StatusCode = statusCode;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        var now = time.UtcNow;
        var rows = await db.BlockedNumbers.AsNoTracking().OrderByDescending(b => b.Id).Take(200).ToListAsync();
        var all = rows.Select(b => new Row(b.Id, b.MaskedNumber, b.Reason, time.ToLocal(b.BlockedAt), time.ToLocal(b.Until), b.BlockedByName, b.ContactId,
            b.LiftedAt is { } lifted ? time.ToLocal(lifted) : null, b.LiftedByName, b.IsActive(now))).ToList();
        Active = all.Where(r => r.Active).OrderBy(r => r.UntilLocal).ToList();
        Past = all.Where(r => !r.Active).Take(50).ToList();
        // Masked numbers and supervisors' reasons (which may say more than they should): a viewing is recorded.
        await views.AuditAsync(db, User, "blocked-numbers.viewed", $"{Active.Count} active and {Past.Count} past block(s)",
            [.. Active.Concat(Past).Select(r => r.ContactId).OfType<long>()]);
    }
}
