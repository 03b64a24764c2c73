using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Treatment;

/// <summary>
/// The directory for admins: import a SAMHSA file (with a summary of what it did), find facilities,
/// hide one with a reason or show it again, mark a paid listing. Plain forms; every change audited.
/// </summary>
[Authorize(Policy = AccountsExtensions.AdminPolicy)]
[RequestSizeLimit(TreatmentExtensions.MaxUploadBytes)]
[RequestFormLimits(MultipartBodyLengthLimit = TreatmentExtensions.MaxUploadBytes)]
public sealed class AdminModel(HelplineDb db, FacilitySearch search, FacilityImporter importer, HelplineTime time) : PageModel
{
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Query { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    public IReadOnlyList<FacilityHit> Facilities { get; private set; } = [];
    public bool More { get; private set; }
    public int Total { get; private set; }
    public int HiddenCount { get; private set; }

    public ImportSummary? Summary { get; private set; }
    public string? Problem { get; private set; }
    public long? ProblemRow { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostImportAsync(IFormFile? file, CancellationToken cancellationToken)
    {
        if (file is null || file.Length == 0)
            return await RefusedAsync(null, "Choose a file to import: the locator's JSON, its CSV or XLSX export, the National Directory CSV, or a plain CSV.");
        try
        {
            await using var upload = file.OpenReadStream();
            // The format is told from the first bytes and the workbook reader needs to seek: a seekable copy.
            await using var copy = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
            await upload.CopyToAsync(copy, cancellationToken);
            copy.Position = 0;
            Summary = await importer.ImportAsync(copy, file.FileName, cancellationToken: cancellationToken);
        }
        catch (FacilityFileException e)
        {
            return await RefusedAsync(null, $"{Path.GetFileName(file.FileName)} was not imported: {e.Message}");
        }
        db.AuditEntries.Add(AuditEntry.By(User, time.UtcNow, "directory.imported",
            $"{Summary.File} ({Summary.Format}): {Summary.Imported} imported, {Summary.Updated} updated, {Summary.Unchanged} unchanged, {Summary.Rejected} rejected"));
        await db.SaveChangesAsync(cancellationToken);
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostHideAsync(long id, string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return await RefusedAsync(id, "Say why the facility is hidden (advisors and the public pages will not see it).");
        if (reason.Length > 500)
            return await RefusedAsync(id, "The reason is limited to 500 characters.");
        return await ChangeAsync(id, "directory.hidden", $"reason: {reason.Trim()}", f => f.Hidden = true, f => f.HiddenReason = reason.Trim(), "hidden");
    }

    public Task<IActionResult> OnPostShowAsync(long id) =>
        ChangeAsync(id, "directory.shown", "shown again", f => f.Hidden = false, f => f.HiddenReason = null, "shown again");

    public Task<IActionResult> OnPostPaidAsync(long id, bool paid) =>
        ChangeAsync(id, paid ? "directory.marked-paid" : "directory.marked-unpaid", paid ? "paid listing" : "not a paid listing",
            f => f.Paid = paid, _ => { }, paid ? "marked as a paid listing" : "no longer marked as paid");

    private async Task<IActionResult> ChangeAsync(long id, string action, string details, Action<Facility> change, Action<Facility> also, string said)
    {
        var facility = await db.Facilities.SingleOrDefaultAsync(f => f.Id == id);
        if (facility is null)
            return await RefusedAsync(id, "There is no such facility.", StatusCodes.Status404NotFound);
        change(facility);
        also(facility);
        facility.UpdatedAt = time.UtcNow;
        db.AuditEntries.Add(AuditEntry.By(User, time.UtcNow, action, $"facility {id}: {details}"));
        await db.SaveChangesAsync();
        Done = $"{facility.Name} ({facility.City}, {facility.State}) {said}.";
        return RedirectToPage(new { q = Query, state = State });
    }

    private async Task<IActionResult> RefusedAsync(long? id, string problem, int status = StatusCodes.Status400BadRequest)
    {
        Problem = problem;
        ProblemRow = id;
        Response.StatusCode = status;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        Total = await db.Facilities.CountAsync();
        HiddenCount = await db.Facilities.CountAsync(f => f.Hidden);
        var state = string.IsNullOrWhiteSpace(State) ? null : UsStates.Code(State);
        var result = await search.SearchAsync(new FacilityQuery { Text = Query, State = state, Take = 50, IncludeHidden = true });
        (Facilities, More) = (result.Facilities, result.More);
    }
}
