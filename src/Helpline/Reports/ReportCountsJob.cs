using Helpline.Infrastructure;

namespace Helpline.Reports;

/// <summary>
/// Keeps the per-day counts of past days current (every 15 minutes, the last 400 days), so a report
/// rarely has to recount a day itself: after midnight, yesterday; after a late change, its day.
/// Safe to run twice; a report recounts any day this has not reached yet.
/// </summary>
public sealed class ReportCountsJob(ReportQueries reports, HelplineTime time, ILogger<ReportCountsJob> logger)
{
    public const string Id = "report-counts";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var today = time.Stamp(time.UtcNow).Date;
        var recounted = await reports.RefreshAsync(today.AddDays(-ReportRequest.LongestRangeDays), today.AddDays(-1), cancellationToken);
        if (recounted > 0)
            logger.LogInformation("Recounted {Days} day(s) for the reports", recounted);
    }
}
