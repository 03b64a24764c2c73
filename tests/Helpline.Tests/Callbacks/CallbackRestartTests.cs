using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Callbacks;

/// <summary>Callbacks outlive the process: after a restart (Hangfire's in-memory jobs gone with it), each fires once.</summary>
public sealed class CallbackRestartTests
{
    private static readonly DateTimeOffset LateEvening = new(2026, 11, 26, 4, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task PendingCallbacksFireOnceAfterARestart()
    {
        const int callers = 5;
        // The files live outside the first app's own folder, so they outlast it as they would a crash.
        var kept = Directory.CreateTempSubdirectory("helpline-restart-").FullName;
        var database = Path.Combine(kept, "helpline.db");
        await using (var before = new HelplineApp(LateEvening))
        {
            before.Settings["ConnectionStrings:Helpline"] = $"Data Source={database}";
            for (var i = 0; i < callers; i++)
            {
                var sid = NewCallSid();
                var from = $"+1212555{1000 + i}";
                await before.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: from));
                await before.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid, from: from).With(
                    ("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{i}"), ("RecordingDuration", "10")));
            }
            await QueueFlows.EventuallyAsync(() => before.WithDbAsync(db => db.Callbacks.CountAsync(c => c.JobId != null)).Result == callers, "every callback to have a job", seconds: 60, explainFrom: before);
            // The process goes away before any job ran (Hangfire's server was off).
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        await using var after = new HelplineApp(LateEvening.AddHours(9));
        after.Settings["ConnectionStrings:Helpline"] = $"Data Source={database}";
        after.Settings["Hangfire:ServerEnabled"] = "true";
        await after.CreateClient().GetAsync("/healthz");

        await QueueFlows.EventuallyAsync(() => after.WithDbAsync(db => db.Callbacks.CountAsync(c => c.Status == CallbackStatus.Due)).Result == callers,
            "every callback to reach the queue", seconds: 60, explainFrom: after);
        var queued = await after.WithDbAsync(db => db.QueueChanges.Where(c => c.Kind == QueueChangeKinds.ContactQueued)
            .GroupBy(c => c.ContactId).Select(g => g.Count()).ToListAsync());
        Assert.Equal(callers, queued.Count);
        Assert.All(queued, count => Assert.Equal(1, count));
        Assert.Equal(callers, await after.WithDbAsync(db => db.Contacts.CountAsync(c => c.Status == ContactStatus.Waiting && c.Channel == ContactChannel.Voicemail)));
    }
}
