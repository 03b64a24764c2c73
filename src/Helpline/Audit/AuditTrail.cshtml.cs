using Helpline.Accounts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Audit;

/// <summary>
/// The audit trail for supervisors: who viewed, exported or changed which contact, and when,
/// searched by contact, member of staff, action and dates, newest first, a page at a time.
/// Read-only; every search is itself written to the trail.
/// </summary>
[Authorize(Policy = AccountsExtensions.SupervisorPolicy)]
public sealed class AuditTrailModel(HelplineDb db, HelplineTime time) : PageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public long? ContactId { get; set; }
    [BindProperty(SupportsGet = true)] public string? Staff { get; set; }
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true)] public DateOnly? Until { get; set; }
    /// <summary>"p", not "page": Razor Pages keeps "page" for its own route value.</summary>
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    public sealed record Row(long Id, DateTime AtLocal, string? UserName, string Action, long? ContactId, string? Details);

    public IReadOnlyList<Row> Rows { get; private set; } = [];
    public bool HasNextPage { get; private set; }
    public string? Problem { get; private set; }
    public string ZoneName => time.Zone.Id;

    public async Task OnGetAsync()
    {
        if (!ModelState.IsValid)
        {
            // A filter that could not be read is dropped, and the page says so, rather than showing everything silently.
            Problem = "Some filters were not understood and were left out: " + string.Join(", ", ModelState.Where(m => m.Value!.Errors.Count > 0).Select(m => m.Key)) + ".";
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        Staff = Clean(Staff);
        Action = Clean(Action);
        PageNumber = Math.Clamp(PageNumber, 1, 100_000);

        var rows = await Filtered().OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Skip((PageNumber - 1) * PageSize).Take(PageSize + 1)
            .Select(a => new { a.Id, a.At, a.UserName, a.Action, a.ContactId, a.Details }).ToListAsync();
        HasNextPage = rows.Count > PageSize;
        Rows = rows.Take(PageSize).Select(a => new Row(a.Id, time.ToLocal(a.At), a.UserName, a.Action, a.ContactId, HumanFormats.AuditDetails(a.Details))).ToList();

        db.AuditEntries.Add(new AuditEntry
        {
            At = time.UtcNow,
            UserId = User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value,
            UserName = User.Identity?.Name,
            Action = "audit.searched",
            ContactId = ContactId,
            Details = Describe(),
        });
        await db.SaveChangesAsync();
    }

    /// <summary>The audit rows that match the filters.</summary>
    private IQueryable<AuditEntry> Filtered()
    {
        var query = db.AuditEntries.AsNoTracking();
        if (ContactId is { } contactId)
            query = query.Where(a => a.ContactId == contactId);
        if (Staff is { } staff)
        {
            // Case-insensitive on both providers (SQLite's LIKE ignores ASCII case; PostgreSQL's does not).
            var pattern = staff.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            query = db.Database.IsNpgsql()
                ? query.Where(a => a.UserName != null && EF.Functions.ILike(a.UserName, pattern, "\\"))
                : query.Where(a => a.UserName != null && EF.Functions.Like(a.UserName, pattern, "\\"));
        }
        if (Action is { } action)
            query = query.Where(a => a.Action.StartsWith(action));
        if (From is { } from)
        {
            var start = StartOfLocalDay(from);
            query = query.Where(a => a.At >= start);
        }
        if (Until is { } until)
        {
            var end = StartOfLocalDay(until.AddDays(1));
            query = query.Where(a => a.At < end);
        }
        return query;
    }

    /// <summary>Read-only: nothing is ever sent to this page.</summary>
    public IActionResult OnPost() => StatusCode(StatusCodes.Status405MethodNotAllowed);

    /// <summary>The filters as written to the trail (no caller details can be among them).</summary>
    private string Describe()
    {
        var parts = new List<string>();
        if (ContactId is not null) parts.Add($"contact {ContactId}");
        if (Staff is not null) parts.Add($"staff {Staff}");
        if (Action is not null) parts.Add($"action {Action}");
        if (From is not null) parts.Add($"from {From:yyyy-MM-dd}");
        if (Until is not null) parts.Add($"until {Until:yyyy-MM-dd}");
        parts.Add($"page {PageNumber}");
        var text = string.Join(", ", parts);
        return text.Length <= 1000 ? text : text[..1000];
    }

    public string PageLink(int page) => QueryString.Create(new Dictionary<string, string?>
    {
        ["contactId"] = ContactId?.ToString(),
        ["staff"] = Staff,
        ["action"] = Action,
        ["from"] = From?.ToString("yyyy-MM-dd"),
        ["until"] = Until?.ToString("yyyy-MM-dd"),
        ["p"] = page.ToString(),
    }.Where(p => p.Value is not null)).ToUriComponent();

    private DateTime StartOfLocalDay(DateOnly day) =>
        TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue), time.Zone);

    private static string? Clean(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim() is { Length: <= 256 } trimmed ? trimmed : value.Trim()[..256];
}
