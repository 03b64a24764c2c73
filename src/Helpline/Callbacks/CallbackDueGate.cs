using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>
/// Where callbacks wait out their last moments and then enter the queue, together. Hangfire keeps
/// schedule times to the whole second, so a callback's job fires up to a second before it is due.
/// Held on one of Hangfire's few workers, that second made a surge late: 2,000 callbacks due in one
/// minute queued behind four sleeping workers. Here the wait is a timer, and at the due time the
/// callback joins the others due then; one loop puts each such batch in the queue in one transaction.
/// Under SQLite's single writer that is one turn of the write lock for the batch, not one each,
/// fought over with the webhooks.
/// </summary>
/// <remarks>
/// Nothing is promised here that the database does not hold: a callback stays Scheduled until its
/// batch commits. If the process stops or dies first, the dispatcher gives it a new job (at start on
/// this node, or after a minute on another).
/// </remarks>
public sealed class CallbackDueGate(
    IServiceScopeFactory scopes, TimeProvider clock, CallbackDispatcher dispatcher, ILogger<CallbackDueGate> logger) : BackgroundService
{
    /// <summary>Most callbacks put in the queue in one transaction.</summary>
    private const int BatchSize = 200;

    private readonly Channel<(long CallbackId, TaskCompletionSource? Done)> _due =
        Channel.CreateUnbounded<(long, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });

    private int _held;

    /// <summary>Callbacks whose timer has not yet fired.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Puts the callback in the queue at its due time, <paramref name="early"/> from now.</summary>
    public void HoldUntilDue(long callbackId, TimeSpan early)
    {
        Interlocked.Increment(ref _held);
        _ = WaitThenStartAsync(callbackId, early);
    }

    /// <summary>Puts the callback in the queue now, with any others due; completes when its batch is committed.</summary>
    public Task StartNowAsync(long callbackId, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_due.Writer.TryWrite((callbackId, done)))
            return Task.FromException(new InvalidOperationException("The app is stopping."));
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task WaitThenStartAsync(long callbackId, TimeSpan early)
    {
        try
        {
            await Task.Delay(early, clock);
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
        _due.Writer.TryWrite((callbackId, null));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(long CallbackId, TaskCompletionSource? Done)>();
        try
        {
            while (await _due.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < BatchSize && _due.Reader.TryRead(out var item))
                    batch.Add(item);
                try
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await using (var scope = scopes.CreateAsyncScope())
                    {
                        await scope.ServiceProvider.GetRequiredService<CallbackJob>()
                            .StartDueAsync([.. batch.Select(b => b.CallbackId).Distinct()], stoppingToken);
                    }
                    logger.LogDebug("A batch of {Count} due callback(s) took {Milliseconds} ms",
                        batch.Count, (int)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    foreach (var (_, done) in batch)
                        done?.TrySetResult();
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "{Count} callback(s) could not be put in the queue at their due time; scheduling them again", batch.Count);
                    foreach (var (_, done) in batch)
                        done?.TrySetException(e);
                    await ScheduleAgainAsync([.. batch.Select(b => b.CallbackId)]);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left is still Scheduled in the database, and the next start schedules it again.
        }
        finally
        {
            _due.Writer.TryComplete();
            foreach (var (_, done) in batch)
                done?.TrySetCanceled();
            while (_due.Reader.TryRead(out var left))
                left.Done?.TrySetCanceled();
        }
    }

    /// <summary>Their jobs have run, so the dispatcher would wait a minute before calling them lost: it schedules them again now.</summary>
    private async Task ScheduleAgainAsync(long[] callbackIds)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await dispatcher.ScheduleAgainAsync(scope.ServiceProvider.GetRequiredService<Data.HelplineDb>(), callbackIds, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not clear the callbacks' jobs either; the dispatcher takes them up once they are a minute late");
        }
    }
}
