using System.Net;
using Hangfire;
using Hangfire.Storage;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Infrastructure;
using Helpline.Retention;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Retention;

/// <summary>
/// Contacts older than a year lose what identifies the caller, at Twilio too, while the reports
/// read exactly the same figures; newer contacts, and callers who came back, keep everything.
/// </summary>
public sealed class RetentionTests : IAsyncLifetime
{
    // The clock: Wednesday 25 November 2026. "Old" is 14 months earlier; "recent" a week ago.
    private static readonly DateOnly OldDay = new(2025, 9, 16);
    private static readonly DateOnly RecentDay = new(2026, 11, 18);

    private readonly HelplineApp _app = new();
    private string _advisor = "";
    private StaffSession _supervisor = null!;

    public async ValueTask InitializeAsync()
    {
        _advisor = await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        _supervisor = await _app.SignInAsync("supervisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task OldContactsLoseTheCallersDetailsWhileTheReportsKeepEveryFigure()
    {
        var seeded = await SeedAsync();
        var before = await ReportsAsync();

        var run = await RunJobAsync();

        Assert.Equal(5, run.Contacts);
        Assert.Equal(1, run.CallersForgotten);
        Assert.Equal(2, run.RecordingsDeleted);
        Assert.Equal(before, await ReportsAsync());

        // Counted again from the anonymized rows (kept counts dropped), the figures are still the same.
        await _app.WithDbAsync(async db => { await db.ReportCounts.ExecuteDeleteAsync(); return await db.ReportDays.ExecuteDeleteAsync(); });
        Assert.Equal(before, await ReportsAsync());

        var old = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => c.CreatedAt < Local(RecentDay, 0)).ToListAsync());
        Assert.Equal(5, old.Count);
        Assert.All(old, c =>
        {
            Assert.NotNull(c.AnonymizedAt);
            Assert.Null(c.Notes);
            Assert.Null(c.RecordingUrl);
            Assert.Null(c.RecordingSid);
            Assert.Null(c.CallSid);
            Assert.Null(c.AdvisorCallSid);
        });
        // The caller who never came back is forgotten; the one who did keeps their link and details.
        Assert.All(old.Where(c => c.CallerId is not null), c => Assert.Equal(seeded.ReturningCaller, c.CallerId));
        Assert.Equal(seeded.ReturningCaller, old.Single(c => c.Id == seeded.ReturningCallersOldContact).CallerId);
        var forgotten = await _app.WithDbAsync(db => db.Callers.AsNoTracking().SingleAsync(c => c.Id == seeded.GoneCaller));
        Assert.Null(forgotten.PhoneNumber);
        Assert.Null(forgotten.Name);
        Assert.Null(forgotten.AlternatePhoneNumber);
        Assert.Null(forgotten.PhoneHash);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Consents.CountAsync(c => c.CallerId == seeded.GoneCaller)));
        var returning = await _app.WithDbAsync(db => db.Callers.AsNoTracking().SingleAsync(c => c.Id == seeded.ReturningCaller));
        Assert.Equal("+12125550102", returning.PhoneNumber);
        Assert.Equal("Returning", returning.Name);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Consents.CountAsync(c => c.CallerId == seeded.ReturningCaller)));

        // Newer contacts are untouched.
        var recent = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Id == seeded.RecentContact));
        Assert.Null(recent.AnonymizedAt);
        Assert.Equal("Asked about detox near Albany.", recent.Notes);
        Assert.Equal(Recording(9), recent.RecordingUrl);
        Assert.NotNull(recent.CallSid);
        Assert.Equal(seeded.ReturningCaller, recent.CallerId);

        // The old recordings were deleted at Twilio, through its REST API; the recent one was not.
        Assert.Equal([RecordingSid(1), RecordingSid(2)], _app.Twilio.RecordingsDeleted.Order());
        Assert.All(_app.Twilio.Requests.Where(r => r.Method == "DELETE"), r => Assert.Equal($"/2010-04-01/Accounts/{FakeTwilioApi.AccountSid}/Recordings/{r.Path.Split('/')[^1]}", r.Path));
    }

    [Fact]
    public async Task ASecondRunChangesNothingAndEachRunLeavesOneAuditRowWithItsCounts()
    {
        await SeedAsync();
        await RunJobAsync();
        var afterFirst = await ReportsAsync();

        var second = await RunJobAsync();

        Assert.Equal(0, second.Contacts);
        Assert.Equal(0, second.RecordingsDeleted);
        Assert.Equal(2, _app.Twilio.RecordingsDeleted.Count);
        Assert.Equal(afterFirst, await ReportsAsync());
        var audit = await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "retention.anonymized").OrderBy(a => a.Id).Select(a => a.Details!).ToListAsync());
        Assert.Equal(2, audit.Count);
        Assert.Contains("5 anonymized, 1 caller(s) forgotten, 2 recording(s) deleted at Twilio, 0 recording(s) Twilio could not delete", audit[0]);
        Assert.Contains("0 anonymized, 0 caller(s) forgotten, 0 recording(s) deleted", audit[1]);
    }

    [Fact]
    public async Task AContactWhoseRecordingTwilioCannotDeleteKeepsItForTheNextRun()
    {
        var seeded = await SeedAsync();
        _app.Twilio.Refuse = true;

        var refused = await RunJobAsync();

        Assert.Equal(3, refused.Contacts);
        Assert.Equal(2, refused.RecordingsNotDeleted);
        var kept = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.Id == seeded.VoicemailContact));
        Assert.Null(kept.AnonymizedAt);
        Assert.Equal(Recording(1), kept.RecordingUrl);

        _app.Twilio.Refuse = false;
        var next = await RunJobAsync();

        Assert.Equal(2, next.Contacts);
        Assert.Equal(2, next.RecordingsDeleted);
        Assert.Null(await _app.WithDbAsync(db => db.Contacts.Where(c => c.Id == seeded.VoicemailContact).Select(c => c.RecordingUrl).SingleAsync()));
    }

    [Fact]
    public async Task TheJobIsScheduledEveryNightAndRetentionDaysIsASetting()
    {
        await using var app = new HelplineApp();
        app.Settings["Retention:Days"] = "800";
        app.CreateClient().Dispose();
        await app.WithDbAsync(db => { db.Contacts.Add(new Contact { CreatedAt = Local(OldDay, 9), UpdatedAt = Local(OldDay, 9), Notes = "fourteen months old" }); return db.SaveChangesAsync(); });

        using (var connection = app.Services.GetRequiredService<JobStorage>().GetConnection())
            Assert.Contains(connection.GetRecurringJobs(), j => j.Id == RetentionJob.Id && j.Cron == "30 3 * * *");
        await using var scope = app.Services.CreateAsyncScope();
        Assert.Equal(0, (await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None)).Contacts); // nothing is 800 days old
    }

    private sealed record Seeded(long GoneCaller, long ReturningCaller, long VoicemailContact, long ReturningCallersOldContact, long RecentContact);

    /// <summary>
    /// Old contacts: a caller who never came back (a call with notes, a voicemail with its recording,
    /// consents, a completed callback), a caller who called again last week, a withheld number and a
    /// web-form request; and that caller's recent contact.
    /// </summary>
    private async Task<Seeded> SeedAsync()
    {
        var gone = await CallerAsync("+12125550101", "Gone");
        var returning = await CallerAsync("+12125550102", "Returning");
        await ContactAsync(Local(OldDay, 9), gone, ContactChannel.Phone, ContactStatus.Completed, answeredAfterMs: 12_000, notes: "Uses fentanyl; sister worried.", region: "NY", disposition: Disposition.ReferredToTreatment);
        var voicemail = await ContactAsync(Local(OldDay, 23), gone, ContactChannel.Voicemail, ContactStatus.Completed, recording: 1, region: "NY", disposition: Disposition.InformationGiven, answeredAfterMs: 40_000);
        await ContactAsync(Local(OldDay, 10), null, ContactChannel.Phone, ContactStatus.Abandoned, abandonedAfterMs: 9_000, region: "CA");
        var returningOld = await ContactAsync(Local(OldDay, 14), returning, ContactChannel.WebForm, ContactStatus.Completed, answeredAfterMs: 3_000, notes: "Call after 5pm.", recording: 2, region: "NJ", disposition: Disposition.CrisisEscalated988);
        await ContactAsync(Local(OldDay, 15), returning, ContactChannel.Phone, ContactStatus.Abandoned, abandonedAfterMs: 2_000, region: "NJ");
        var recent = await ContactAsync(Local(RecentDay, 11), returning, ContactChannel.Voicemail, ContactStatus.Completed, answeredAfterMs: 5_000, notes: "Asked about detox near Albany.", recording: 9, region: "NY", disposition: Disposition.ReferredToTreatment);
        await _app.WithDbAsync(db =>
        {
            db.Consents.Add(new Consent { CallerId = gone, ContactId = voicemail, Kind = ConsentKind.CallBack, Granted = true, TextVersion = "test-2026-11", Source = ConsentSource.Voicemail, RecordedAt = Local(OldDay, 23) });
            db.Consents.Add(new Consent { CallerId = gone, ContactId = voicemail, Kind = ConsentKind.LeaveVoicemail, Granted = true, TextVersion = "test-2026-11", Source = ConsentSource.Voicemail, RecordedAt = Local(OldDay, 23) });
            db.Consents.Add(new Consent { CallerId = returning, ContactId = recent, Kind = ConsentKind.CallBack, Granted = true, TextVersion = "test-2026-11", Source = ConsentSource.Voicemail, RecordedAt = Local(RecentDay, 11) });
            var due = Local(OldDay.AddDays(1), 9);
            db.Callbacks.Add(new Callback
            {
                ContactId = voicemail, CallerId = gone, Status = CallbackStatus.Completed, DueAt = due, TimeZone = "America/New_York",
                WindowStartLocal = new TimeOnly(8, 0), WindowEndLocal = new TimeOnly(21, 0), Attempts = 2, FirstAttemptAt = due.AddSeconds(40),
                FirstAttemptLateSeconds = 40, LastOutcome = CallbackOutcome.Reached, CreatedAt = due, UpdatedAt = due,
            });
            return db.SaveChangesAsync();
        });
        return new Seeded(gone, returning, voicemail, returningOld, recent);
    }

    /// <summary>Every report table as CSV over the old day, the recent week and both; the range's contacts; and a region filter (counted live, never from kept counts).</summary>
    private async Task<List<string>> ReportsAsync()
    {
        var csv = new List<string>();
        foreach (var (from, to) in new[] { (OldDay, OldDay), (RecentDay, RecentDay.AddDays(6)), (OldDay, OldDay.AddDays(399)) })
        {
            foreach (var table in new[] { "totals", "hours", "days", "channels", "dispositions", "regions", "callbacks", "advisors", "contacts" })
            {
                foreach (var filter in new[] { "", "&region=NY" })
                {
                    var response = await _supervisor.Browser.GetAsync($"/reports/export/{table}.csv?range=custom&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}{filter}");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    csv.Add($"{table} {from}..{to}{filter}\n{await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        return csv;
    }

    private async Task<RetentionRun> RunJobAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
    }

    private static string RecordingSid(int n) => "RE" + n.ToString("D32");

    private static string Recording(int n) => $"https://api.twilio.com/2010-04-01/Accounts/{FakeTwilioApi.AccountSid}/Recordings/{RecordingSid(n)}";

    private static DateTime Local(DateOnly day, int hour) =>
        TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(new TimeOnly(hour, 0)), TimeZoneInfo.FindSystemTimeZoneById("America/New_York"));

    private Task<long> CallerAsync(string number, string name) => _app.WithDbAsync(async db =>
    {
        var caller = new Caller { PhoneNumber = number, Name = name, AlternatePhoneNumber = "+12125550199", PhoneHash = db.Protector.BlindIndex(number), TimeZone = "America/New_York", CreatedAt = Local(OldDay, 8) };
        db.Callers.Add(caller);
        await db.SaveChangesAsync();
        return caller.Id;
    });

    private async Task<long> ContactAsync(DateTime arrived, long? callerId, ContactChannel channel, ContactStatus status, int? answeredAfterMs = null, int? abandonedAfterMs = null,
        string? notes = null, int? recording = null, string? region = null, Disposition? disposition = null)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var stamp = scope.ServiceProvider.GetRequiredService<HelplineTime>().Stamp(arrived);
        var waited = answeredAfterMs ?? abandonedAfterMs;
        var answered = answeredAfterMs is { } a ? arrived.AddMilliseconds(a) : (DateTime?)null;
        var contact = new Contact
        {
            CallerId = callerId, CallerIdWithheld = callerId is null, Channel = channel, Status = status, CreatedAt = arrived, UpdatedAt = arrived,
            LocalDate = stamp.Date, LocalHour = stamp.Hour, LocalDayOfWeek = stamp.DayOfWeek, QueuedAt = arrived,
            AnsweredAt = answered, WaitSeconds = waited / 1000, WaitMilliseconds = waited,
            EndedAt = answered?.AddSeconds(200) ?? arrived.AddMilliseconds(abandonedAfterMs ?? 0),
            TalkSeconds = answered is null ? null : 200, WrapUpSeconds = answered is null ? null : 30,
            AdvisorId = answered is null ? null : _advisor, Region = region, Disposition = disposition, Notes = notes,
            CallSid = "CA" + Guid.NewGuid().ToString("N"), AdvisorCallSid = answered is null ? null : "CA" + Guid.NewGuid().ToString("N"),
            RecordingUrl = recording is { } r ? Recording(r) : null, RecordingSid = recording is { } s ? RecordingSid(s) : null, RecordingSeconds = recording is null ? null : 20,
        };
        var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        return contact.Id;
    }
}
