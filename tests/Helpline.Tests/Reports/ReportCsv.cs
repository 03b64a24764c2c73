using System.Net;
using Helpline.Tests.Infrastructure;

namespace Helpline.Tests.Reports;

/// <summary>The reports' CSV downloads, as a supervisor gets them.</summary>
internal static class ReportCsv
{
    /// <summary>The rows of one table for local days From–To (the header left out).</summary>
    public static async Task<List<string[]>> ReportRowsAsync(this StaffSession supervisor, string table, DateOnly from, DateOnly to, string filters = "")
    {
        var response = await supervisor.Browser.GetAsync($"/reports/export/{table}.csv?range=custom&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}{filters}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/csv", response.Content.Headers.ContentType?.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        return [.. lines.Skip(1).Select(l => l.Split(','))];
    }
}
