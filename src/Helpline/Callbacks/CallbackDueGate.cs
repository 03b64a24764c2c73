using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>
/// Where a callback waits out the last moments before its due time. Hangfire keeps schedule times
/// to the whole second, so a callback's job fires up to a second before the callback is due. Held
/// on one of Hangfire's few workers, that second made a surge late: 2,000 callbacks due in one
/// minute queued behind four sleeping workers. Here the wait is a timer, and the callback enters the
/// queue at its due time to the millisecond, off Hangfire's workers.
/// </summary>
/// <remarks>
/// Nothing is promised here that the database does not hold: the callback stays Scheduled until it
/// is queued. If the process stops or dies first, the dispatcher gives it a new job (at start on this
/// node, or after a minute on another).
/// </remarks>
public sealed class CallbackDueGate(
    IServiceScopeFactory scopes, TimeProvider clock, IHostApplicationLifetime lifetime, CallbackDispatcher dispatcher, ILogger<CallbackDueGate> logger)
{
    private int _held;

    /// <summary>Callbacks waiting here for their due time.</summary>
    public int Held => Volatile.Read(ref _held);

    public void HoldUntilDue(long callbackId, TimeSpan early)
    {
        Interlocked.Increment(ref _held);
        _ = RunAtDueTimeAsync(callbackId, early);
    }

    private async Task RunAtDueTimeAsync(long callbackId, TimeSpan early)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            await Task.Delay(early, clock, stopping);
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<CallbackJob>().RunHeldAsync(callbackId, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the callback is still Scheduled in the database, and the next start schedules it again.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Callback {CallbackId} could not be put in the queue at its due time; scheduling it again", callbackId);
            await ScheduleAgainAsync(callbackId);
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }

    /// <summary>Its job has run, so the dispatcher would wait a minute before calling it lost: clear the job and wake it now.</summary>
    private async Task ScheduleAgainAsync(long callbackId)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Data.HelplineDb>().Callbacks
                .Where(c => c.Id == callbackId && c.Status == CallbackStatus.Scheduled)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.JobId, (string?)null));
            dispatcher.Wake();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Callback {CallbackId}: could not clear its job either; the dispatcher takes it up once it is a minute late", callbackId);
        }
    }
}
