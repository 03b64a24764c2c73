using Helpline.Contacts;
using Helpline.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Dashboard;

/// <summary>Staff home: who is waiting right now, in queue order (priority, then place in line).</summary>
public sealed class IndexModel(HelplineDb db) : PageModel
{
    public IReadOnlyList<WaitingRow> Waiting { get; private set; } = [];

    public async Task OnGetAsync()
    {
        var rows = await db.Contacts.AsNoTracking()
            .Where(c => c.Status == ContactStatus.Waiting)
            .OrderByDescending(c => c.Priority).ThenBy(c => c.QueuedAt).ThenBy(c => c.Id)
            .Select(c => new { c.Id, c.Channel, c.Priority, c.Language, c.For, c.Region, c.QueuedAt, Phone = c.Caller != null ? c.Caller.PhoneNumber : null })
            .ToListAsync();
        Waiting = [.. rows.Select((r, i) => new WaitingRow(i + 1, r.Id, r.Channel, r.Priority, r.Language, r.For, r.Region, r.QueuedAt, CallerNumbers.Mask(r.Phone)))];
    }

    public sealed record WaitingRow(int Position, long ContactId, ContactChannel Channel, ContactPriority Priority, CallerLanguage Language, ContactFor For, string? Region, DateTime? QueuedAt, string MaskedNumber);
}
