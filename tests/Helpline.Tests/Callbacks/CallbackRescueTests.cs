using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Callbacks;

/// <summary>A callback whose Hangfire job does not run on time is still made, late, once, and someone is told.</summary>
public sealed class CallbackRescueTests
{
    /// <summary>
    /// 23:30 in New York on Wednesday 2 June 2027: later than this machine's real clock, so the job
    /// Hangfire is given (at the app's due time) will not come due in real time during the test:
    /// from the app's point of view, Hangfire has stopped running jobs.
    /// </summary>
    private static readonly DateTimeOffset NightInTheFuture = new(2027, 6, 3, 3, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task ACallbackHangfireDoesNotRunIsRunLateByTheAppAndReported()
    {
        await using var app = new HelplineApp(NightInTheFuture);
        app.Settings["Hangfire:ServerEnabled"] = "true";
        app.Settings["Hangfire:RescueAfter"] = "00:00:02";
        var callback = await app.VoicemailCallbackAsync("+12125550123");
        await QueueFlows.EventuallyAsync(() => app.WithDbAsync(db => db.Callbacks.CountAsync(c => c.JobId != null)).Result == 1, "the callback's job", explainFrom: app);
        Assert.Equal("Healthy", await app.CreateClient().GetStringAsync("/healthz"));

        // The caller's morning comes (by the app's clock); Hangfire's job is still a year away.
        app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt, TimeSpan.Zero).AddSeconds(3));

        await QueueFlows.EventuallyAsync(() => app.WithDbAsync(db => db.Callbacks.CountAsync(c => c.Status == CallbackStatus.Due)).Result == 1,
            "the late callback to reach the queue", seconds: 60, explainFrom: app);
        Assert.Equal(ContactStatus.Waiting, await app.WithDbAsync(db => db.Contacts.Where(c => c.Id == callback.ContactId).Select(c => c.Status).SingleAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.QueueChanges.CountAsync(c => c.Kind == QueueChangeKinds.ContactQueued && c.ContactId == callback.ContactId)));
        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Warning Helpline.Callbacks.CallbackDispatcher") && l.Contains("1 callback(s) over 2 s past their due time still waiting (their Hangfire job"));

        var health = await app.CreateClient().GetAsync("/healthz");
        var text = await health.Content.ReadAsStringAsync();
        Assert.StartsWith("Degraded", text);
        Assert.Contains("callbacks: Degraded: 1 callback(s) since start were still waiting over 2 s past their due time though Hangfire had jobs for them", text);
    }
}
