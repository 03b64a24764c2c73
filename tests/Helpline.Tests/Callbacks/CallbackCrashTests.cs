using Helpline.Checks;

namespace Helpline.Tests.Callbacks;

/// <summary>
/// The app in its own process, killed with SIGKILL twice while callbacks fire, started again each
/// time on the same files: every callback reaches the queue exactly once, none early. (The benchmark
/// program runs the same check with 500 callbacks: <c>-- --crash</c>.)
/// </summary>
public sealed class CallbackCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryCallbackReachesTheQueueExactlyOnceThoughTheAppIsKilledTwice()
    {
        var directory = Directory.CreateTempSubdirectory("helpline-crash-").FullName;
        var log = new StringWriter();
        try
        {
            var result = await new CallbackCrashCheck(directory, log).RunAsync(200, TimeSpan.FromSeconds(45), [0.3, 0.7], deadline: TimeSpan.FromMinutes(5));
            CallbackCrashCheck.Print(result, log);

            Assert.Equal(2, result.Lives.Count(l => l.Killed));
            Assert.Equal(200, result.Callbacks);
            Assert.Equal(0, result.Lost);
            Assert.Equal(0, result.QueuedTwice);
            Assert.Equal(0, result.Early);
            Assert.Equal(200, result.Queued);
        }
        finally
        {
            output.WriteLine(log.ToString());
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
