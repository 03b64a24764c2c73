using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Callbacks;

public sealed class CallbackApiTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task StaffRescheduleACallbackInsideTheCallersHoursAndItIsAudited()
    {
        var callback = await _app.VoicemailCallbackAsync("+13105550147");
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");

        var early = await advisor.PostAsync($"/api/callbacks/{callback.Id}/reschedule", new { date = "2026-11-27", windowStart = "06:00", windowEnd = "07:30" });
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        var moved = await advisor.PostAsync($"/api/callbacks/{callback.Id}/reschedule", new { date = "2026-11-27", windowStart = "13:00", windowEnd = "15:00" });

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var after = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(new DateTime(2026, 11, 27, 21, 0, 0, DateTimeKind.Utc), after.DueAt); // 13:00 Pacific
        Assert.Equal(CallbackStatus.Scheduled, after.Status);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => !a.Action.StartsWith("staff.") && a.Action != "callbacks.viewed"));
        Assert.Equal("callback.rescheduled", audit.Action);
        Assert.Equal("advisor@test.example", audit.UserName);
    }

    [Fact]
    public async Task ACancelledCallbackIsNeverMadeAndLeavesTheQueue()
    {
        var callback = await _app.VoicemailCallbackAsync("+12125550147");
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");

        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/callbacks/{callback.Id}/cancel")).StatusCode);
        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt));
        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<CallbackJob>().RunAsync(callback.Id, CancellationToken.None);

        Assert.Equal(CallbackStatus.Cancelled, (await _app.WithDbAsync(db => db.Callbacks.SingleAsync())).Status);
        Assert.Equal(ContactStatus.Cancelled, (await _app.WithDbAsync(db => db.Contacts.SingleAsync())).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await advisor.PostAsync($"/api/callbacks/{callback.Id}/cancel")).StatusCode);
        Assert.Equal("callback.cancelled", (await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => !a.Action.StartsWith("staff.") && a.Action != "callbacks.viewed"))).Action);
    }

    [Fact]
    public async Task MissedCallbacksAreListedWithMaskedNumbers()
    {
        var callback = await _app.VoicemailCallbackAsync("+12125550147");
        await _app.WithDbAsync(db => db.Callbacks.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Missed).SetProperty(c => c.Attempts, 3)));
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");

        var missed = await supervisor.Browser.GetFromJsonAsync<JsonElement>("/api/callbacks?status=Missed");

        var row = Assert.Single(missed.EnumerateArray());
        Assert.Equal(callback.Id, row.GetProperty("id").GetInt64());
        Assert.Equal("•••• 0147", row.GetProperty("maskedNumber").GetString());
        Assert.Equal(3, row.GetProperty("attempts").GetInt32());
        Assert.Empty((await supervisor.Browser.GetFromJsonAsync<JsonElement>("/api/callbacks")).EnumerateArray());
    }
}
