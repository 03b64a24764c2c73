using System.Net;
using Hangfire;
using Hangfire.States;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Callbacks;

/// <summary>The callback job's logic on a fake clock (Hangfire's server is off: the job is run directly).</summary>
public sealed class CallbackJobTests : IAsyncLifetime
{
    /// <summary>Wednesday 23:30 in New York: closed until Thursday 08:00.</summary>
    private static readonly DateTimeOffset LateEvening = new(2026, 11, 26, 4, 30, 0, TimeSpan.Zero);

    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task VoicemailCallbackEntersTheQueueAtItsDueTimeAndNeverBefore()
    {
        var callback = await VoicemailCallbackAsync("+12125550147");
        Assert.Equal(new DateTime(2026, 11, 26, 13, 0, 0, DateTimeKind.Utc), callback.DueAt); // 08:00 in New York

        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt.AddMinutes(-10)));
        await RunJobAsync(callback.Id);
        Assert.Equal(ContactStatus.AwaitingCallback, (await _app.ContactAsync(callback.ContactId)).Status);

        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt.AddMilliseconds(250)));
        await RunJobAsync(callback.Id);

        var contact = await _app.ContactAsync(callback.ContactId);
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal(ContactChannel.Voicemail, contact.Channel);
        Assert.Equal(callback.DueAt, contact.QueuedAt);
        Assert.Equal(CallbackStatus.Due, (await CallbackAsync(callback.Id)).Status);
    }

    [Fact]
    public async Task JobRunTwiceOrTwiceAtOnceQueuesTheCallbackOnce()
    {
        var callback = await VoicemailCallbackAsync("+12125550147");
        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt));

        await Task.WhenAll(RunJobAsync(callback.Id), RunJobAsync(callback.Id));
        await RunJobAsync(callback.Id);

        var queued = await _app.WithDbAsync(db => db.QueueChanges.CountAsync(c => c.ContactId == callback.ContactId && c.Kind == QueueChangeKinds.ContactQueued));
        Assert.Equal(1, queued);
    }

    [Fact]
    public async Task WithdrawnConsentCancelsTheCallback()
    {
        var callback = await VoicemailCallbackAsync("+12125550147");
        await _app.WithDbAsync(async db =>
        {
            db.Consents.Add(new Consent { CallerId = callback.CallerId, Kind = ConsentKind.CallBack, Granted = false, TextVersion = "advisor-withdrawal", Source = ConsentSource.Advisor, RecordedAt = LateEvening.UtcDateTime.AddMinutes(5) });
            return await db.SaveChangesAsync();
        });
        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt));

        await RunJobAsync(callback.Id);

        Assert.Equal(CallbackStatus.Cancelled, (await CallbackAsync(callback.Id)).Status);
        Assert.Equal(ContactStatus.Cancelled, (await _app.ContactAsync(callback.ContactId)).Status);
    }

    [Fact]
    public async Task AtJobTimeQuietHoursInTheCallersZoneMoveTheCallbackToTheirMorning()
    {
        // A Los Angeles caller whose callback came due at 07:30 their time (the line is open in New York).
        var callback = await VoicemailCallbackAsync("+13105550147");
        var early = new DateTime(2026, 11, 26, 15, 30, 0, DateTimeKind.Utc); // 07:30 Pacific, 10:30 Eastern
        await _app.WithDbAsync(db => db.Callbacks.Where(c => c.Id == callback.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.DueAt, early)));
        _app.Clock.SetUtcNow(new DateTimeOffset(early));

        await RunJobAsync(callback.Id);

        var moved = await CallbackAsync(callback.Id);
        Assert.Equal(CallbackStatus.Scheduled, moved.Status);
        Assert.Equal(new DateTime(2026, 11, 26, 16, 0, 0, DateTimeKind.Utc), moved.DueAt); // 08:00 Pacific
        Assert.Equal(ContactStatus.AwaitingCallback, (await _app.ContactAsync(callback.ContactId)).Status);
    }

    [Fact]
    public async Task QuietHoursFollowTheSpringDaylightSavingChange()
    {
        // Saturday 7 March 2026, 23:30 in New York; the clocks go forward that night.
        await using var app = new HelplineApp(new DateTimeOffset(2026, 3, 8, 4, 30, 0, TimeSpan.Zero));
        foreach (var day in Enum.GetNames<DayOfWeek>())
            app.Settings[$"Helpline:OpeningHours:{day}"] = "00:00-24:00";
        var callback = await VoicemailCallbackAsync("+12125550147", closed: false, app);
        // Due at 08:00 EDT on Sunday 8 March = 12:00 UTC (it would be 13:00 UTC a day earlier).
        Assert.Equal(new DateTime(2026, 3, 8, 12, 0, 0, DateTimeKind.Utc), callback.DueAt);

        // At 07:59 EDT the job must not queue it, however early Hangfire fired.
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 8, 11, 59, 0, TimeSpan.Zero));
        await RunJobAsync(callback.Id, app);
        Assert.Equal(CallbackStatus.Scheduled, (await app.WithDbAsync(db => db.Callbacks.SingleAsync(c => c.Id == callback.Id))).Status);
        app.Clock.SetUtcNow(new DateTimeOffset(2026, 3, 8, 12, 0, 0, TimeSpan.Zero));
        await RunJobAsync(callback.Id, app);
        Assert.Equal(CallbackStatus.Due, (await app.WithDbAsync(db => db.Callbacks.SingleAsync(c => c.Id == callback.Id))).Status);
    }

    [Fact]
    public async Task EverySavedCallbackGetsAHangfireJobThatWakesItJustBeforeItsTime()
    {
        var callback = await VoicemailCallbackAsync("+12125550147");

        await QueueFlows.EventuallyAsync(() => CallbackAsync(callback.Id).Result.JobId is not null, "the callback's job to be scheduled");

        var jobId = (await CallbackAsync(callback.Id)).JobId!;
        using var connection = _app.Services.GetRequiredService<JobStorage>().GetConnection();
        var state = connection.GetStateData(jobId);
        Assert.Equal(ScheduledState.StateName, state.Name);
        var enqueueAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(state.Data["EnqueueAt"])).UtcDateTime;
        // A second's job fires a couple of seconds ahead, so Hangfire's own delay is spent before the
        // callback is due; the gate then holds it until its time (tested in CallbackSurgeTests and the journeys).
        Assert.InRange(enqueueAt, callback.DueAt.AddSeconds(-3), callback.DueAt);
    }

    [Fact]
    public async Task HangfireDashboardIsForSupervisorsOnly()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);

        Assert.Equal(HttpStatusCode.Redirect, (await _app.CreateBrowser().GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await (await _app.SignInAsync("advisor@test.example")).Browser.GetAsync("/hangfire")).StatusCode);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var page = await supervisor.Browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Helpline jobs", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task HangfireStatsAnswersTheDashboardAndRefusesAnythingElseWithoutAServerError()
    {
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var page = await supervisor.Browser.GetStringAsync("/hangfire");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"csrf-token\" content=\"([^\"]+)\"").Groups[1].Value;

        var get = await supervisor.Browser.GetAsync("/hangfire/stats");
        var json = await supervisor.Browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/hangfire/stats")
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            Headers = { { "RequestVerificationToken", token } },
        });
        // What the dashboard's script posts every few seconds.
        var dashboard = await supervisor.Browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/hangfire/stats")
        {
            Content = new FormUrlEncodedContent([new("metrics[]", "succeeded:count"), new("metrics[]", "failed:count")]),
            Headers = { { "RequestVerificationToken", token } },
        });

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal("POST", get.Content.Headers.Allow.Single());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("\"failed:count\"", await dashboard.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error"));
    }

    private async Task<Callback> VoicemailCallbackAsync(string from, bool closed = true, HelplineApp? app = null)
    {
        var target = app ?? _app;
        if (closed)
            target.Clock.SetUtcNow(LateEvening);
        var sid = NewCallSid();
        var twiml = await (await target.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: from))).TwimlAsync();
        if (!closed)
        {
            // Open, but nobody on duty: the caller is offered the voicemail instead of the queue.
            twiml = await (await target.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid, from: from).With(("Digits", "1")))).TwimlAsync();
        }
        twiml.One("//Record");
        await target.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid, from: from).With(
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"), ("RecordingDuration", "10")));
        return await target.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync(c => c.Contact!.CallSid == sid));
    }

    private Task<Callback> CallbackAsync(long id) => _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync(c => c.Id == id));

    private async Task RunJobAsync(long callbackId, HelplineApp? app = null)
    {
        await using var scope = (app ?? _app).Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CallbackJob>().RunAsync(callbackId, CancellationToken.None);
    }
}
