using System.Globalization;
using System.Net;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Reports;

/// <summary>
/// A known set of contacts (helpline zone New York), and every figure of the reports checked against
/// values worked out by hand, as a supervisor reads them: on the page and in the CSV downloads.
/// </summary>
public sealed class ReportFiguresTests : IAsyncLifetime
{
    // Tuesday 24 November 2026 (EST, UTC-5).
    private static readonly DateOnly Day = new(2026, 11, 24);
    // The clock starts that morning, so presence can be set through the day as advisors set it.
    private readonly HelplineApp _app = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private string _advisorA = "";
    private string _advisorB = "";
    private StaffSession _supervisor = null!;

    public async ValueTask InitializeAsync()
    {
        _advisorA = await _app.CreateStaffAsync("a@test.example", Roles.Advisor);
        _advisorB = await _app.CreateStaffAsync("b@test.example", Roles.Advisor);
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        _supervisor = await _app.SignInAsync("supervisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryHeadlineFigureMatchesTheHandCount(bool readAWeekLater)
    {
        await KnownDayAsync();
        await ReadLaterAsync(readAWeekLater);

        var totals = await CsvAsync("totals", Day, Day);

        Assert.Equal("9", totals["contacts"]);                    // the tenth arrived after midnight
        Assert.Equal("5", totals["answered"]);
        Assert.Equal("4", totals["answered within 30 s"]);        // 10 s, 30.0 s, 2 s, 30 s; not 30.5 s
        Assert.Equal("3", totals["abandoned"]);
        Assert.Equal("2", totals["short abandons (within 5 s)"]); // 4.9 s and 5.0 s; not 5.1 s
        Assert.Equal("0.6667", totals["service level"]);          // 4 / (5 + 1)
        Assert.Equal("20.5", totals["average speed of answer (s)"]); // (10 + 30 + 30.5 + 2 + 30) / 5
        Assert.Equal("0.1667", totals["abandon rate"]);           // 1 / (5 + 1)
        Assert.Equal("188", totals["average handle time (s)"]);   // (780 talk + 160 wrap-up) / 5
        Assert.Equal("1", totals["referrals"]);
        Assert.Equal("1", totals["crisis transfers by advisors"]);
        Assert.Equal("1", totals["crisis line from the menu or queue"]);

        var page = await PageAsync($"/reports?range=custom&from={Day:yyyy-MM-dd}&to={Day:yyyy-MM-dd}");
        Assert.Contains("data-figure=\"service-level\">66.7%", page);
        Assert.Contains("data-figure=\"asa\">20.5 s", page);
        Assert.Contains("data-figure=\"abandon-rate\">16.7%", page);
        Assert.Contains("data-figure=\"short-abandons\">2", page);
        Assert.Contains("data-figure=\"aht\">188.0 s", page);
        Assert.Contains("answered within 30 s ÷ (answered + abandoned after 5 s) = 4 ÷ (5 + 1)", page);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ContactsAreCountedByTheHourAndDayTheyArrivedInAndByChannelDispositionAndRegion(bool readAWeekLater)
    {
        await KnownDayAsync();
        await ReadLaterAsync(readAWeekLater);

        var hours = await CsvRowsAsync("hours", Day, Day);
        Assert.Equal(24, hours.Count);
        Assert.Equal(
            new Dictionary<string, int> { ["09:00"] = 2, ["10:00"] = 2, ["11:00"] = 1, ["14:00"] = 2, ["22:00"] = 1, ["23:00"] = 1 },
            hours.Where(r => r[1] != "0").ToDictionary(r => r[0], r => int.Parse(r[1], CultureInfo.InvariantCulture)));
        var days = await CsvRowsAsync("days", Day, Day);
        Assert.Equal(["Tuesday", "9", "5", "3"], days.Single(r => r[1] != "0"));
        var channels = await CsvRowsAsync("channels", Day, Day);
        // Then completed, average handle time, chats replied to and their time to first reply (none here).
        Assert.Equal(["Phone", "8", "4", "3", "4", "197.5", "0", ""], channels.Single(r => r[0] == "Phone")); // (360 + 240 + 120 + 70) / 4
        Assert.Equal(["Callback", "1", "1", "0", "1", "150", "0", ""], channels.Single(r => r[0] == "Callback"));
        var dispositions = await CsvRowsAsync("dispositions", Day, Day);
        Assert.Equal(["Referred to treatment", "1", "1", "0"], dispositions.Single(r => r[0] == "Referred to treatment"));
        var regions = await CsvRowsAsync("regions", Day, Day);
        Assert.Equal([["NY", "2", "2", "0"], ["CA", "1", "1", "0"]], regions);

        // The call that straddled midnight counts on the day it arrived; the next day has only its own.
        var next = await CsvAsync("totals", Day.AddDays(1), Day.AddDays(1));
        Assert.Equal("1", next["contacts"]);
        Assert.Equal("10", (await CsvAsync("totals", Day, Day.AddDays(1)))["contacts"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FiltersNarrowEveryFigure(bool readAWeekLater)
    {
        await KnownDayAsync();
        await ReadLaterAsync(readAWeekLater);

        var callbacksOnly = await CsvAsync("totals", Day, Day, "&channel=Callback");
        Assert.Equal("1", callbacksOnly["contacts"]);
        Assert.Equal("1", callbacksOnly["service level"]);
        var advisorA = await CsvAsync("totals", Day, Day, $"&advisor={_advisorA}");
        Assert.Equal("2", advisorA["contacts"]);
        Assert.Equal("240", advisorA["average handle time (s)"]); // (300 + 60 + 100 + 20) / 2
        Assert.Equal("0", (await CsvAsync("totals", Day, Day, "&language=Spanish"))["contacts"]);
        Assert.Equal("1", (await CsvAsync("totals", Day, Day, "&region=CA"))["contacts"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallbacksArePunctualityCompletionsAndAttempts(bool readAWeekLater)
    {
        await KnownDayAsync();
        await ReadLaterAsync(readAWeekLater);

        var row = (await CsvRowsAsync("callbacks", Day, Day)).Single();

        // 4 callbacks; 3 placed (30 s, 200 s, 400 s after due); 2 completed, 1 missed; 1 + 3 + 0 + 2 attempts.
        Assert.Equal(["4", "3", "1", "2", "2", "1", "6", "3"], row);
    }

    [Fact]
    public async Task OccupancyIsHandlingTimeOverStaffedTimeFromThePresenceAdvisorsSet()
    {
        await KnownDayAsync();
        var a = await _app.SignInAsync("a@test.example");
        // 08:00–09:00 available, 09:00–09:30 on break, 09:30–10:00 available, then offline: 1.5 h staffed.
        await SetPresenceAsync(a, "Available", Local(Day, 8, 0));
        await SetPresenceAsync(a, "Break", Local(Day, 9, 0));
        await SetPresenceAsync(a, "Available", Local(Day, 9, 30));
        await SetPresenceAsync(a, "Offline", Local(Day, 10, 0));
        // Advisor B signs in for the night shift: available from 23:00 to 01:00, one hour on each day.
        _app.Clock.SetUtcNow(new DateTimeOffset(Local(Day, 22, 55)));
        var b = await _app.SignInAsync("b@test.example");
        await SetPresenceAsync(b, "Available", Local(Day, 23, 0));
        await SetPresenceAsync(b, "Offline", Local(Day.AddDays(1), 1, 0));
        // The supervisor reads the report the next morning.
        _supervisor = await _app.SignInAsync("supervisor@test.example");

        var advisors = await CsvRowsAsync("advisors", Day, Day);

        var rowA = advisors.Single(r => r[0] == "a@test.example");
        Assert.Equal(["a@test.example", "2", "240", "400", "80", "1", "5400", "0.0889", "", ""], rowA); // 480 / 5400; no chats
        var rowB = advisors.Single(r => r[0] == "b@test.example");
        Assert.Equal("3600", rowB[6]);
        Assert.Equal("0.1278", rowB[7]); // (200 + 40 + 120 + 30 + 60 + 10) / 3600
        Assert.Equal("3600", (await CsvRowsAsync("advisors", Day.AddDays(1), Day.AddDays(1))).Single(r => r[0] == "b@test.example")[6]);
    }

    [Fact]
    public async Task AKeptDayIsCountedAgainWhenOneOfItsContactsChanges()
    {
        await KnownDayAsync();
        await ReadLaterAsync(true);
        Assert.Equal("1", (await CsvAsync("totals", Day, Day))["referrals"]);

        // A week on, the contact that arrived at 09:30 is found to have been a referral after all.
        await _app.WithDbAsync(db => db.Contacts.Where(c => c.Disposition == Disposition.InformationGiven)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Disposition, Disposition.ReferredToTreatment).SetProperty(c => c.UpdatedAt, _app.Clock.GetUtcNow().UtcDateTime)));
        // And a late contact is filed under that day.
        await ContactAsync(Local(Day, 12, 0), ContactStatus.Abandoned, abandonedAfterMs: 60_000);

        var totals = await CsvAsync("totals", Day, Day);
        Assert.Equal("2", totals["referrals"]);
        Assert.Equal("10", totals["contacts"]);
        Assert.Equal("4", totals["abandoned"]);
        Assert.Equal(1, await _app.WithDbAsync(db => db.ReportDays.CountAsync(d => d.LocalDate == Day)));
    }

    [Fact]
    public async Task OnTheDaysTheClocksChangeEachContactKeepsTheLocalHourItArrivedIn()
    {
        // 1 November 2026: 01:30 happens twice in New York (EDT, then EST).
        await ContactAsync(new DateTime(2026, 11, 1, 5, 30, 0, DateTimeKind.Utc), ContactStatus.Completed, answeredAfterMs: 1000, talk: 60, wrapUp: 10);
        await ContactAsync(new DateTime(2026, 11, 1, 6, 30, 0, DateTimeKind.Utc), ContactStatus.Completed, answeredAfterMs: 1000, talk: 60, wrapUp: 10);
        // 8 March 2026: 02:00–03:00 does not exist; 07:30 UTC is 03:30 EDT.
        await ContactAsync(new DateTime(2026, 3, 8, 7, 30, 0, DateTimeKind.Utc), ContactStatus.Completed, answeredAfterMs: 1000, talk: 60, wrapUp: 10);

        var fall = await CsvRowsAsync("hours", new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 1));
        Assert.Equal("2", fall.Single(r => r[0] == "01:00")[1]);
        Assert.Equal(2, fall.Sum(r => int.Parse(r[1], CultureInfo.InvariantCulture)));
        var spring = await CsvRowsAsync("hours", new DateOnly(2026, 3, 8), new DateOnly(2026, 3, 8));
        Assert.Equal("0", spring.Single(r => r[0] == "02:00")[1]);
        Assert.Equal("1", spring.Single(r => r[0] == "03:00")[1]);
    }

    [Fact]
    public async Task AnEmptyRangeSaysThereWereNoCallsAndDividesByNothing()
    {
        var page = await PageAsync("/reports?range=custom&from=2026-01-01&to=2026-01-31");

        Assert.Contains("There were no calls or requests in this range.", page);
        Assert.Contains("data-figure=\"service-level\">—", page);
        Assert.Contains("data-figure=\"aht\">—", page);
        var totals = await CsvAsync("totals", new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31));
        Assert.Equal("0", totals["contacts"]);
        Assert.Equal("", totals["service level"]);
    }

    [Theory]
    [InlineData("range=custom&from=2026-11-24", "Give both days")]
    [InlineData("range=custom&from=2026-11-24&to=2026-11-01", "end on or after")]
    [InlineData("range=custom&from=2024-01-01&to=2026-11-01", "at most 400 days")]
    [InlineData("range=fortnight", "Unknown range")]
    [InlineData("range=7d&channel=Fax", "Unknown channel")]
    public async Task ARangeThatMakesNoSenseIsRefusedWithTheReason(string query, string reason)
    {
        var response = await _supervisor.Browser.GetAsync("/reports?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, (await _supervisor.Browser.GetAsync("/reports/export/totals.csv?" + query)).StatusCode);
    }

    [Fact]
    public async Task ReportsAreForSupervisorsAndOnlyAdminsExportCallersWithAnAuditEntry()
    {
        await KnownDayAsync();
        var advisor = await _app.SignInAsync("a@test.example");
        foreach (var path in new[] { "/reports", "/reports/export/totals.csv" })
        {
            var refused = await advisor.Browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.Found, refused.StatusCode);
            Assert.StartsWith("/access-denied", refused.Headers.Location?.PathAndQuery);
        }

        var range = $"range=custom&from={Day:yyyy-MM-dd}&to={Day:yyyy-MM-dd}";
        var plain = await _supervisor.Browser.GetStringAsync("/reports/export/contacts.csv?" + range);
        Assert.Equal(10, plain.Trim().Split('\n').Length); // header + 9
        Assert.DoesNotContain("555", plain);
        Assert.Equal(HttpStatusCode.Forbidden, (await _supervisor.Browser.GetAsync("/reports/export/contacts.csv?caller=include&" + range)).StatusCode);
        // The list itself is audited too, without caller details.
        var listed = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => !a.Action.StartsWith("staff.")));
        Assert.Equal(("contacts.exported", "supervisor@test.example"), (listed.Action, listed.UserName));
        Assert.Contains("without caller details", listed.Details);

        await _app.CreateStaffAsync("admin@test.example", Roles.Admin);
        var admin = await _app.SignInAsync("admin@test.example");
        var full = await admin.Browser.GetStringAsync("/reports/export/contacts.csv?caller=include&" + range);
        Assert.Contains("+12125550101", full);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => !a.Action.StartsWith("staff.") && a.UserName == "admin@test.example"));
        Assert.Equal("contacts.exported", audit.Action);
        Assert.Contains("with caller details", audit.Details);
    }

    /// <summary>Reads the report a week later (from the kept per-day counts) or on the day itself (counted live).</summary>
    private async Task ReadLaterAsync(bool aWeekLater)
    {
        if (!aWeekLater)
            return;
        _app.Clock.SetUtcNow(new DateTimeOffset(Local(Day.AddDays(7), 9, 0)));
        _supervisor = await _app.SignInAsync("supervisor@test.example");
    }

    /// <summary>The known day, worked out by hand in the tests above.</summary>
    private async Task KnownDayAsync()
    {
        var caller = await CallerAsync("+12125550101");
        await ContactAsync(Local(Day, 9, 0), ContactStatus.Completed, answeredAfterMs: 10_000, talk: 300, wrapUp: 60, advisor: _advisorA, region: "NY", disposition: Disposition.ReferredToTreatment, callerId: caller);
        await ContactAsync(Local(Day, 9, 30), ContactStatus.Completed, answeredAfterMs: 30_000, talk: 200, wrapUp: 40, advisor: _advisorB, region: "NY", disposition: Disposition.InformationGiven);
        await ContactAsync(Local(Day, 10, 0), ContactStatus.Completed, answeredAfterMs: 30_500, talk: 100, wrapUp: 20, advisor: _advisorA, region: "CA");
        await ContactAsync(Local(Day, 10, 15), ContactStatus.Abandoned, abandonedAfterMs: 4_900);
        await ContactAsync(Local(Day, 14, 0), ContactStatus.Abandoned, abandonedAfterMs: 5_100);
        await ContactAsync(Local(Day, 14, 5), ContactStatus.Abandoned, abandonedAfterMs: 5_000);
        await ContactAsync(Local(Day, 22, 0), ContactStatus.TransferredToCrisisLine);
        var callback = await ContactAsync(Local(Day, 11, 0), ContactStatus.Completed, answeredAfterMs: 2_000, talk: 120, wrapUp: 30, advisor: _advisorB,
            channel: ContactChannel.Callback, disposition: Disposition.CrisisEscalated988, crisis: true, callerId: caller);
        // Arrived at 23:59:50, answered 30 s later, after midnight.
        await ContactAsync(Local(Day, 23, 59).AddSeconds(50), ContactStatus.Completed, answeredAfterMs: 30_000, talk: 60, wrapUp: 10, advisor: _advisorB);
        // The next day.
        await ContactAsync(Local(Day.AddDays(1), 0, 0).AddSeconds(5), ContactStatus.Completed, answeredAfterMs: 1_000, talk: 10, wrapUp: 5);

        await CallbackAsync(callback, caller, CallbackStatus.Completed, attempts: 1, lateSeconds: 30);
        await CallbackAsync(callback, caller, CallbackStatus.Missed, attempts: 3, lateSeconds: 200);
        await CallbackAsync(callback, caller, CallbackStatus.Scheduled, attempts: 0, lateSeconds: null);
        await CallbackAsync(callback, caller, CallbackStatus.Completed, attempts: 2, lateSeconds: 400);
    }

    private DateTime Local(DateOnly day, int hour, int minute) =>
        TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(new TimeOnly(hour, minute)), TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));

    private Task<long> CallerAsync(string number) => _app.WithDbAsync(async db =>
    {
        var caller = new Caller { PhoneNumber = number, PhoneHash = db.Protector.BlindIndex(number), TimeZone = "America/New_York", CreatedAt = Local(Day, 8, 0) };
        db.Callers.Add(caller);
        await db.SaveChangesAsync();
        return caller.Id;
    });

    private async Task<long> ContactAsync(DateTime arrived, ContactStatus status, int? answeredAfterMs = null, int? abandonedAfterMs = null,
        int? talk = null, int? wrapUp = null, string? advisor = null, string? region = null, Disposition? disposition = null,
        ContactChannel channel = ContactChannel.Phone, bool crisis = false, long? callerId = null)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var stamp = scope.ServiceProvider.GetRequiredService<HelplineTime>().Stamp(arrived);
        var waited = answeredAfterMs ?? abandonedAfterMs;
        var answered = answeredAfterMs is { } a ? arrived.AddMilliseconds(a) : (DateTime?)null;
        var contact = new Contact
        {
            CallerId = callerId, Channel = channel, Status = status, CreatedAt = arrived, UpdatedAt = arrived,
            LocalDate = stamp.Date, LocalHour = stamp.Hour, LocalDayOfWeek = stamp.DayOfWeek,
            QueuedAt = status == ContactStatus.TransferredToCrisisLine ? null : arrived,
            AnsweredAt = answered, WaitSeconds = waited / 1000, WaitMilliseconds = waited,
            EndedAt = answered?.AddSeconds(talk ?? 0) ?? (abandonedAfterMs is { } ab ? arrived.AddMilliseconds(ab) : null),
            TalkSeconds = talk, WrapUpSeconds = wrapUp, AdvisorId = advisor, Region = region, Disposition = disposition,
            CrisisTransferredAt = crisis ? answered?.AddSeconds(60) : null,
        };
        var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        return contact.Id;
    }

    private Task<int> CallbackAsync(long contactId, long callerId, CallbackStatus status, int attempts, int? lateSeconds) => _app.WithDbAsync(db =>
    {
        var due = Local(Day, 11, 0);
        db.Callbacks.Add(new Callback
        {
            ContactId = contactId, CallerId = callerId, Status = status, DueAt = due, TimeZone = "America/New_York",
            WindowStartLocal = new TimeOnly(8, 0), WindowEndLocal = new TimeOnly(21, 0), Attempts = attempts,
            FirstAttemptAt = lateSeconds is { } late ? due.AddSeconds(late) : null, FirstAttemptLateSeconds = lateSeconds,
            CreatedAt = due, UpdatedAt = due,
        });
        return db.SaveChangesAsync();
    });

    private async Task SetPresenceAsync(StaffSession advisor, string presence, DateTime at)
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(at));
        var response = await advisor.PutAsync("/api/presence", new { presence });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> PageAsync(string path)
    {
        var response = await _supervisor.Browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private Task<List<string[]>> CsvRowsAsync(string table, DateOnly from, DateOnly to, string filters = "") =>
        _supervisor.ReportRowsAsync(table, from, to, filters);

    private async Task<Dictionary<string, string>> CsvAsync(string table, DateOnly from, DateOnly to, string filters = "") =>
        (await CsvRowsAsync(table, from, to, filters)).ToDictionary(r => r[0], r => r[1]);
}
