using Helpline.Accounts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Reports;

/// <summary>The supervisors' reports: a range of local days, filters, the figures with their formulas, charts and CSV.</summary>
[Authorize(Policy = AccountsExtensions.SupervisorPolicy)]
public sealed class ReportsModel(ReportQueries reports, HelplineDb db, HelplineTime time) : PageModel
{
    public Report? Report { get; private set; }
    public string? Problem { get; private set; }
    public string Range { get; private set; } = "7d";
    public ReportFilter? Filter { get; private set; }
    public IReadOnlyList<(string Id, string Name)> Advisors { get; private set; } = [];
    public IReadOnlyList<string> Regions { get; private set; } = [];
    public bool MayExportCallerDetails => User.IsInRole(Roles.Admin);

    public async Task OnGetAsync()
    {
        Range = Request.Query["range"].ToString() is { Length: > 0 } r ? r : "7d";
        Advisors = [.. (await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).Select(u => new { u.Id, u.DisplayName }).ToListAsync()).Select(u => (u.Id, u.DisplayName))];
        if (!ReportRequest.TryRead(Request.Query, time, out var filter, out var problem))
        {
            Problem = problem;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        Filter = filter;
        Report = await reports.BuildAsync(filter, HttpContext.RequestAborted);
        Regions = [.. Report.ByRegion.Select(b => b.Key).Take(100).Order(StringComparer.Ordinal)];
    }

    public string ExportUrl(string table) => $"/reports/export/{table}.csv?{ReportRequest.QueryOf(Filter!)}";

    public static string Percent(double? value) => value is { } v ? $"{v * 100:0.0}%" : "—";

    public static string Seconds(double? value) => value is { } v ? $"{v:0.0} s" : "—";

    public static string Duration(long seconds) => TimeSpan.FromSeconds(seconds).ToString(seconds >= 86400 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss");
}
