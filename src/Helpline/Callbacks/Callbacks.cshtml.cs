using Helpline.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Helpline.Callbacks;

/// <summary>
/// The callbacks page for advisors and supervisors: upcoming, missed, completed and cancelled
/// callbacks; reschedule or cancel one. Plain forms, so it works without JavaScript.
/// </summary>
public sealed class CallbacksModel(CallbackDesk desk, HelplineTime time, Data.HelplineDb db, Audit.ListViews views) : PageModel
{
    /// <summary>The lists the page shows, by the query's "show" value.</summary>
    public static readonly IReadOnlyList<(string Key, string Label, CallbackStatus? Status)> Lists =
    [
        ("upcoming", "Upcoming", null),
        ("missed", "Missed", CallbackStatus.Missed),
        ("completed", "Completed", CallbackStatus.Completed),
        ("cancelled", "Cancelled", CallbackStatus.Cancelled),
    ];

    [BindProperty(SupportsGet = true)]
    public string Show { get; set; } = "upcoming";

    public IReadOnlyList<CallbackRow> Rows { get; private set; } = [];

    /// <summary>Why the last change was refused, shown at the top and tied to the row.</summary>
    public string? Problem { get; private set; }
    public long? ProblemRow { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public HelplineTime Time => time;

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostRescheduleAsync(long id, DateOnly? date, TimeOnly? from, TimeOnly? until)
    {
        if (date is null || from is null || until is null)
            return await RefusedAsync(id, StatusCodes.Status400BadRequest, "Give the day and the window (from, until) in the caller's time.");
        var change = await desk.RescheduleAsync(id, date.Value, from.Value, until.Value, User);
        if (!change.Done)
            return await RefusedAsync(id, change.StatusCode, change.Problem!);
        var row = (await desk.ListAsync(id: id)).Single();
        Done = $"Callback to {row.MaskedNumber} rescheduled: {row.DueLocal:ddd d MMM HH:mm} caller's time ({row.WindowStartLocal:HH:mm}–{row.WindowEndLocal:HH:mm}).";
        return RedirectToPage(new { show = "upcoming" });
    }

    public async Task<IActionResult> OnPostCancelAsync(long id)
    {
        var row = (await desk.ListAsync(id: id)).SingleOrDefault();
        var change = await desk.CancelAsync(id, User);
        if (!change.Done)
            return await RefusedAsync(id, change.StatusCode, change.Problem!);
        Done = $"Callback to {row!.MaskedNumber} cancelled; it will not be made.";
        return RedirectToPage(new { show = Show });
    }

    private async Task<IActionResult> RefusedAsync(long id, int statusCode, string problem)
    {
        Problem = problem;
        ProblemRow = id;
        Response.StatusCode = statusCode;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        var list = Lists.FirstOrDefault(l => l.Key == Show);
        if (list.Key is null)
            (Show, list) = ("upcoming", Lists[0]);
        Rows = await desk.ListAsync(list.Status);
        await views.AuditAsync(db, User, "callbacks.viewed", Show, [.. Rows.Select(r => r.ContactId)]);
    }

    public static string Outcome(CallbackOutcome? outcome) => outcome switch
    {
        CallbackOutcome.Reached => "Reached",
        CallbackOutcome.NoAnswer => "No answer",
        CallbackOutcome.VoicemailLeft => "Voicemail left",
        CallbackOutcome.WrongNumber => "Wrong number",
        _ => "—",
    };

    public static bool MayChange(CallbackRow row) => row.Status is CallbackStatus.Scheduled or CallbackStatus.Due or CallbackStatus.Missed;
}
