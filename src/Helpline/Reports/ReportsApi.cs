using System.Globalization;
using System.Security.Claims;
using System.Text;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Reports;

/// <summary>
/// CSV downloads of the reports' tables and of the contacts in a range (supervisors and admins).
/// The contacts carry no caller details unless an admin asks for them, and that export is audited.
/// </summary>
public static class ReportsApi
{
    public static IEndpointRouteBuilder MapExports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/reports/export/{table}.csv", Export).RequireAuthorization(AccountsExtensions.SupervisorPolicy);
        return app;
    }

    internal static async Task<IResult> Export(string table, HttpContext http, ReportQueries reports, HelplineTime time, HelplineDb db, ClaimsPrincipal user)
    {
        if (!ReportRequest.TryRead(http.Request.Query, time, out var filter, out var problem))
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a report range", detail: problem);
        var name = $"helpline-{table}-{filter.From:yyyyMMdd}-{filter.To:yyyyMMdd}.csv";
        if (table == "contacts")
        {
            var withCaller = http.Request.Query["caller"] == "include";
            if (withCaller && !user.IsInRole(Roles.Admin))
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, detail: "Only admins may export callers' numbers and names.");
            // A list of contacts is audited with or without the callers' details (which only admins get).
            db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contacts.exported", contactId: null,
                $"contacts {filter.From:yyyy-MM-dd}..{filter.To:yyyy-MM-dd} {(withCaller ? "with" : "without")} caller details; filters {ReportRequest.QueryOf(filter)}"));
            await db.SaveChangesAsync();
            return Csv(name, writer => WriteContactsAsync(writer, reports.Contacts(filter), withCaller, time, http.RequestAborted));
        }

        Func<Report, IEnumerable<string[]>>? rows = table switch
        {
            "totals" => Totals,
            "hours" => r => Buckets("hour", r.ByHour),
            "days" => r => Buckets("day", r.ByDayOfWeek),
            "channels" => ChannelRows,
            "dispositions" => r => Buckets("disposition", r.ByDisposition),
            "regions" => r => Buckets("region", r.ByRegion),
            "callbacks" => CallbackRows,
            "advisors" => AdvisorRows,
            _ => null,
        };
        if (rows is null)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: "No such report table.");
        var report = await reports.BuildAsync(filter, http.RequestAborted);
        return Csv(name, async writer =>
        {
            foreach (var row in rows(report))
                await writer.WriteLineAsync(Line(row));
        });
    }

    private static IEnumerable<string[]> Totals(Report r)
    {
        var t = r.Totals;
        yield return ["figure", "value", "formula"];
        yield return ["contacts", N(t.Contacts), "calls, web-form requests and voicemails that arrived in the range, and follow-ups due in it"];
        yield return ["answered", N(t.Answered), ""];
        yield return [$"answered within {r.Thresholds.ServiceLevelSeconds} s", N(t.AnsweredWithinThreshold), ""];
        yield return ["abandoned", N(t.Abandoned), ""];
        yield return [$"short abandons (within {r.Thresholds.ShortAbandonSeconds} s)", N(t.ShortAbandoned), ""];
        yield return ["service level", D(t.ServiceLevel), "answered within threshold / (answered + abandoned after the short-abandon limit)"];
        yield return ["average speed of answer (s)", D(t.AverageSpeedOfAnswerSeconds), "total wait of answered / answered"];
        yield return ["abandon rate", D(t.AbandonRate), "abandoned after the short-abandon limit / (answered + those abandons)"];
        yield return ["average handle time (s)", D(t.AverageHandleSeconds), "(talk + wrap-up) / completed"];
        yield return ["referrals", N(t.Referrals), "disposition referred to treatment"];
        yield return ["crisis transfers by advisors", N(t.CrisisTransfersByAdvisor), ""];
        yield return ["crisis line from the menu or queue", N(t.CrisisLineFromMenu), ""];
    }

    private static IEnumerable<string[]> Buckets(string key, IEnumerable<Bucket> buckets) =>
        buckets.Select(b => new[] { b.Label, N(b.Contacts), N(b.Answered), N(b.Abandoned) }).Prepend([key, "contacts", "answered", "abandoned"]);

    private static IEnumerable<string[]> ChannelRows(Report r) =>
        r.ByChannel.Select(b => new[] { b.Label, N(b.Contacts), N(b.Answered), N(b.Abandoned), N(b.Handled), D(b.AverageHandleSeconds), N(b.FirstReplies), D(b.AverageFirstReplySeconds) })
            .Prepend(["channel", "contacts", "answered", "abandoned", "completed", "average handle time (s)", "chats replied to", "average time to first reply (s)"]);

    private static IEnumerable<string[]> CallbackRows(Report r)
    {
        var c = r.Callbacks;
        yield return ["callbacks", "placed", "placed within 1 min", "placed within 5 min", "completed", "missed", "attempts", "attempts per completion"];
        yield return [N(c.Callbacks), N(c.Placed), N(c.PlacedWithinOneMinute), N(c.PlacedWithinFiveMinutes), N(c.Completed), N(c.Missed), N(c.Attempts), D(c.AttemptsPerCompletion)];
    }

    private static IEnumerable<string[]> AdvisorRows(Report r) =>
        r.Advisors.Select(a => new[] { a.Name, N(a.Handled), D(a.AverageHandleSeconds), N(a.TalkSeconds), N(a.WrapUpSeconds), N(a.Referrals), N(a.StaffedSeconds), D(a.Occupancy),
                D(a.Chats.AverageAtOnce), a.Chats.ChattingSeconds == 0 ? "" : N(a.Chats.MostAtOnce) })
            .Prepend(["advisor", "completed", "average handle time (s)", "talk (s)", "wrap-up (s)", "referrals", "staffed (s)", "occupancy", "chats at once (average)", "chats at once (most)"]);

    /// <summary>Streams the contacts, oldest first, a page at a time: a year of contacts is never held in memory.</summary>
    private static async Task WriteContactsAsync(StreamWriter writer, IQueryable<Contact> contacts, bool withCaller, HelplineTime time, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync(Line([
            "id", "arrived (local)", "channel", "status", "language", "for", "region", "wait (s)", "talk (s)", "wrap-up (s)", "disposition", "advisor",
            .. withCaller ? new[] { "caller number", "caller name" } : []]));
        var rows = contacts.OrderBy(c => c.Id).Select(c => new
        {
            c.Id, c.CreatedAt, c.Channel, c.Status, c.Language, c.For, c.Region, c.WaitMilliseconds, c.TalkSeconds, c.WrapUpSeconds, c.Disposition,
            Advisor = c.Advisor == null ? null : c.Advisor.DisplayName,
            Number = withCaller && c.Caller != null ? c.Caller.PhoneNumber : null,
            Name = withCaller && c.Caller != null ? c.Caller.Name : null,
        }).AsAsyncEnumerable();
        await foreach (var c in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(Line([
                N(c.Id), time.ToLocal(c.CreatedAt).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Words.Channel(c.Channel), c.Status.ToString(),
                c.Language.ToString(), c.For.ToString(), c.Region ?? "", c.WaitMilliseconds is { } w ? (w / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) : "",
                c.TalkSeconds?.ToString(CultureInfo.InvariantCulture) ?? "", c.WrapUpSeconds?.ToString(CultureInfo.InvariantCulture) ?? "",
                c.Disposition is { } d ? Words.Disposition(d) : "", c.Advisor ?? "",
                .. withCaller ? new[] { c.Number ?? "", c.Name ?? "" } : []]));
        }
    }

    private static IResult Csv(string fileName, Func<StreamWriter, Task> write) => Results.Stream(async stream =>
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        await write(writer);
    }, "text/csv; charset=utf-8", fileName);

    /// <summary>One CSV line (RFC 4180 quoting); a cell a spreadsheet would run as a formula is prefixed with an apostrophe.</summary>
    internal static string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(Cell));

    private static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string D(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";
}
