using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Callbacks;

/// <summary>
/// Makes sure every scheduled callback in the database has a live Hangfire job. The database is the
/// truth: a callback saved without a job (written by a webhook, a form, a wrap-up, or a job that
/// moved it) gets one; at start, callbacks whose job was lost or left half-run by a crash get a new
/// one. A duplicate job is harmless: the job lets only one run put the callback in the queue.
/// </summary>
public sealed class CallbackDispatcher(IServiceScopeFactory scopes, ILogger<CallbackDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan OverdueAfter = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Call after saving a callback (or changing its due time): its job is scheduled at once.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
            _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // At start, jobs lost or left half-run by a crash are replaced too; after that, only missing ones.
        var recoverAfterCrash = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var failed = await RunOnceAsync(recoverAfterCrash, stoppingToken) < 0;
            recoverAfterCrash &= failed;
            // Woken by new callbacks, and every half minute in case a wake-up was lost with a crash;
            // after a failure (a busy job store, say) it tries again within a second.
            if (failed)
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            else
                await _wake.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken);
        }
    }

    /// <summary>Schedules what needs a job; returns how many, or -1 when it failed and should be tried again soon.</summary>
    public async Task<int> RunOnceAsync(bool recoverAfterCrash, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
            var jobs = scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>();
            var storage = scope.ServiceProvider.GetRequiredService<JobStorage>();

            var pending = await db.Callbacks.AsNoTracking()
                .Where(c => c.Status == CallbackStatus.Scheduled)
                .Select(c => new { c.Id, c.DueAt, c.JobId })
                .ToListAsync(cancellationToken);
            // A callback still Scheduled a minute after its due time has lost its job somehow (a crash
            // mid-run, a torn job store): it gets another; the job itself lets only one run count.
            var overdue = scope.ServiceProvider.GetRequiredService<Infrastructure.HelplineTime>().UtcNow - OverdueAfter;
            var scheduled = 0;
            using var connection = storage.GetConnection();
            foreach (var callback in pending)
            {
                if (callback.JobId is not null && callback.DueAt >= overdue && (!recoverAfterCrash || IsLive(connection, callback.JobId)))
                    continue;
                var jobId = jobs.Schedule<CallbackJob>(job => job.RunAsync(callback.Id, CancellationToken.None), WholeSecondBefore(callback.DueAt));
                await db.Callbacks.Where(c => c.Id == callback.Id && c.Status == CallbackStatus.Scheduled && c.JobId == callback.JobId)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.JobId, jobId), cancellationToken);
                scheduled++;
            }
            if (scheduled > 0)
                logger.LogInformation("Scheduled {Count} callback job(s){After}", scheduled, recoverAfterCrash ? " at start" : "");
            return scheduled;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not schedule callback jobs; trying again in a second");
            return -1;
        }
    }

    /// <summary>A job that will still run by itself: scheduled or enqueued. Anything else (gone, failed, half-run before a crash) is not.</summary>
    private static bool IsLive(IStorageConnection connection, string jobId) =>
        connection.GetStateData(jobId)?.Name is { } state && (state == ScheduledState.StateName || state == EnqueuedState.StateName);

    /// <summary>
    /// Hangfire keeps schedule times in whole seconds: the job is scheduled at the whole second at or
    /// before the due time, so polling delay falls inside that remainder, and the job waits out the
    /// rest. Rounding up instead would make every callback up to a second late.
    /// </summary>
    private static DateTimeOffset WholeSecondBefore(DateTime dueUtc) =>
        new(DateTime.SpecifyKind(dueUtc.AddTicks(-(dueUtc.Ticks % TimeSpan.TicksPerSecond)), DateTimeKind.Utc));
}
