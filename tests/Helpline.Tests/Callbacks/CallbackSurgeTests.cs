using Helpline.Checks;
using Helpline.Tests.Infrastructure;

namespace Helpline.Tests.Callbacks;

/// <summary>
/// A surge, smaller than the benchmark's (<c>-- --surge</c>: 2,000 in a minute) but of the same kind:
/// callbacks falling due together while calls and form posts keep arriving, advisors working the queue
/// through the simulator. Each caller is rung once: not missed, not twice. Runs on SQLite here and on
/// PostgreSQL in Helpline.PostgresTests. On the machine's clock, since Hangfire's timers are real.
/// </summary>
public sealed class CallbackSurgeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryCallbackOfASurgeEntersTheQueueOnceAndEachCallerIsRungOnce()
    {
        const int callbacks = 300;
        await using var app = new HelplineApp { RealClock = true };
        app.Settings["Simulator:Enabled"] = "true";
        app.Settings["Hangfire:ServerEnabled"] = "true";
        foreach (var day in Enum.GetNames<DayOfWeek>())
            app.Settings[$"Helpline:OpeningHours:{day}"] = "00:00-24:00";
        var log = new StringWriter();
        try
        {
            var surge = new CallbackSurge(app.Services, app.CreateBrowser, log);
            var result = await surge.RunAsync(
                new CallbackSurge.Plan(callbacks, Over: TimeSpan.FromSeconds(20), FirstIn: TimeSpan.FromSeconds(10), Advisors: 6, LoadPerSecond: 20, HelplineApp.StaffPassword),
                async email => (await app.SignInAsync(email)).Browser,
                deadline: TimeSpan.FromMinutes(4));
            CallbackSurge.Print(result, log, p99TargetMs: 1000);

            Assert.Equal(callbacks, result.Queued);
            Assert.Equal(0, result.QueuedTwice);
            Assert.Equal(0, result.Early);
            Assert.Equal(callbacks, result.Dialled);
            Assert.Equal(0, result.DialledTwice);
            Assert.Equal(callbacks, result.Completed);
            Assert.True(result.LoadSent > 0);
            Assert.Equal(0, result.LoadFailed);
        }
        finally
        {
            output.WriteLine(log.ToString());
        }
    }
}
