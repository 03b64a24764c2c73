using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Callbacks;

/// <summary>The callbacks page: staff see what is due and what was missed, and move or cancel a callback with plain forms.</summary>
public sealed class CallbacksPageTests : IAsyncLifetime
{
    // 23:30 in New York: a voicemail now is called back from 8:00 tomorrow, the caller's time.
    private readonly HelplineApp _app = new(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task AnAdvisorSeesTheUpcomingCallbackAndMovesItToAnotherWindow()
    {
        var callback = await _app.VoicemailCallbackAsync("+13105550147");
        var advisor = await AdvisorAsync();

        var page = await advisor.Browser.GetStringAsync("/callbacks");
        Assert.Contains("•••• 0147", page);
        Assert.DoesNotContain("3105550147", page);
        Assert.Contains("Thu 26 Nov 08:00", page); // the caller's clock (Los Angeles), not the server's
        Assert.Contains("America/Los_Angeles", page);

        var (response, html) = await advisor.SubmitAsync("/callbacks", "/callbacks?handler=Reschedule", new()
        {
            ["id"] = callback.Id.ToString(), ["date"] = "2026-11-27", ["from"] = "13:00", ["until"] = "15:00",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("rescheduled: Fri 27 Nov 13:00 caller's time (13:00–15:00)", html);
        var moved = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(new DateTime(2026, 11, 27, 21, 0, 0, DateTimeKind.Utc), moved.DueAt);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => !a.Action.StartsWith("staff.") && a.Action != "callbacks.viewed"));
        Assert.Equal(("callback.rescheduled", "advisor@test.example"), (audit.Action, audit.UserName));
    }

    [Theory]
    [InlineData("2026-11-27", "06:00", "07:30", "between 8:00 and 21:00")]
    [InlineData("2026-11-27", "15:00", "13:00", "end after it starts")]
    [InlineData("2026-11-20", "13:00", "15:00", "between today and 60 days")]
    [InlineData("2026-11-27", "", "15:00", "Give the day and the window")]
    public async Task AWindowTheCallerCouldNotHaveAgreedToIsRefusedWithTheReasonAndNothingChanges(string date, string from, string until, string reason)
    {
        var callback = await _app.VoicemailCallbackAsync("+13105550147");
        var advisor = await AdvisorAsync();

        var (response, html) = await advisor.SubmitAsync("/callbacks", "/callbacks?handler=Reschedule", new()
        {
            ["id"] = callback.Id.ToString(), ["date"] = date, ["from"] = from, ["until"] = until,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("role=\"alert\"", html);
        Assert.Contains(reason, html);
        Assert.Equal(callback.DueAt, (await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync())).DueAt);
        Assert.Equal(0, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => !a.Action.StartsWith("staff.") && a.Action != "callbacks.viewed")));
    }

    [Fact]
    public async Task ACancelledCallbackMovesToTheCancelledList()
    {
        var callback = await _app.VoicemailCallbackAsync("+12125550147");
        var advisor = await AdvisorAsync();

        // Two members of staff have the page open; both press cancel.
        var token = await advisor.FormTokenAsync("/callbacks");
        var (response, html) = await advisor.SubmitAsync("/callbacks?handler=Cancel", new() { ["id"] = callback.Id.ToString() }, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("cancelled; it will not be made", html);
        Assert.Contains("No upcoming callbacks.", html);
        Assert.Equal(CallbackStatus.Cancelled, (await _app.WithDbAsync(db => db.Callbacks.SingleAsync())).Status);
        Assert.Contains("•••• 0147", await advisor.Browser.GetStringAsync("/callbacks?show=cancelled"));

        var (again, refused) = await advisor.SubmitAsync("/callbacks?handler=Cancel", new() { ["id"] = callback.Id.ToString() }, token);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("Only a scheduled, due or missed callback can be cancelled", refused);
    }

    [Fact]
    public async Task AFormPostedWithoutItsAntiforgeryTokenIsRefused()
    {
        var callback = await _app.VoicemailCallbackAsync("+12125550147");
        var advisor = await AdvisorAsync();

        var response = await advisor.Browser.PostAsync("/callbacks?handler=Cancel", new FormUrlEncodedContent(new Dictionary<string, string> { ["id"] = callback.Id.ToString() }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(CallbackStatus.Scheduled, (await _app.WithDbAsync(db => db.Callbacks.SingleAsync())).Status);
    }

    [Fact]
    public async Task SupervisorsSeeMissedCallbacksOnTheWallboardAndCanGiveThemAnotherDay()
    {
        var callback = await _app.VoicemailCallbackAsync("+12125550147");
        await _app.WithDbAsync(db => db.Callbacks.ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, CallbackStatus.Missed).SetProperty(c => c.Attempts, 3).SetProperty(c => c.LastOutcome, CallbackOutcome.NoAnswer)));
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");

        var wallboard = await supervisor.Browser.GetFromJsonAsync<JsonElement>("/api/wallboard");
        var missed = Assert.Single(wallboard.GetProperty("missedCallbacks").EnumerateArray());
        Assert.Equal("•••• 0147", missed.GetProperty("maskedNumber").GetString());
        Assert.Equal("NoAnswer", missed.GetProperty("lastOutcome").GetString());
        var page = await supervisor.Browser.GetStringAsync("/callbacks?show=missed");
        Assert.Contains("3 of 3", page);
        Assert.Contains("No answer", page);

        var (response, _) = await supervisor.SubmitAsync("/callbacks?show=missed", "/callbacks?handler=Reschedule", new()
        {
            ["id"] = callback.Id.ToString(), ["show"] = "missed", ["date"] = "2026-11-27", ["from"] = "10:00", ["until"] = "12:00",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var again = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
        Assert.Equal((CallbackStatus.Scheduled, 0), (again.Status, again.Attempts));
        Assert.Equal(ContactStatus.AwaitingCallback, (await _app.WithDbAsync(db => db.Contacts.SingleAsync())).Status);
    }

    private async Task<StaffSession> AdvisorAsync()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        return await _app.SignInAsync("advisor@test.example");
    }
}
