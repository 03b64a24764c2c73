using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpline.Callbacks;

/// <summary>
/// Makes sure every scheduled callback in the database has a live Hangfire job. The database is the
/// truth: a callback saved without a job (written by a webhook, a form, a wrap-up, or a job that
/// moved it) gets one; at start, callbacks whose job was lost or left half-run by a crash get a new
/// one. A duplicate job is harmless: the job lets only one run put the callback in the queue.
/// </summary>
/// <remarks>
/// Where this process runs Hangfire's server, it also watches that the server keeps its promise: a
/// callback whose job this process scheduled and which is still waiting half a minute after its due
/// time (Hangfire runs them within a second) is run here instead, logged as a warning and reported
/// on /healthz. The caller is called late rather than not at all, and someone finds out why.
/// </remarks>
public sealed class CallbackDispatcher(
    IServiceScopeFactory scopes, IOptions<HangfireOptions> hangfire, ILogger<CallbackDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan OverdueAfter = TimeSpan.FromMinutes(1);

    /// <summary>How long a run here keeps /healthz degraded.</summary>
    public static readonly TimeSpan ReportedFor = TimeSpan.FromMinutes(15);

    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Jobs this process scheduled, by callback: the job id and when (a monotonic clock: Hangfire runs on real time).</summary>
    private readonly ConcurrentDictionary<long, (string JobId, long ScheduledAt)> _scheduledHere = new();

    /// <summary>The job this process scheduled for each whole second (UTC) that callbacks fall due in.</summary>
    private readonly ConcurrentDictionary<DateTime, string> _secondJobs = new();

    /// <summary>
    /// A second's job is scheduled this long before the second begins, so that Hangfire's own delay
    /// (its polling, a worker to pick the job up, a busy job store) is spent before the callbacks are
    /// due, not after: the job hands each to a timer in <see cref="CallbackDueGate"/>, which fires at
    /// the due time to the millisecond.
    /// </summary>
    private static readonly TimeSpan WakeAhead = TimeSpan.FromSeconds(2);

    /// <summary>Hangfire moves a scheduled job to its queue within its polling interval of the time; well before that, it has surely not fired.</summary>
    private static readonly TimeSpan ReuseSecondJobBefore = TimeSpan.FromSeconds(3);

    private long _lastRunHereAt = long.MinValue;
    private long? _failingSince;
    private int _runHere;

    /// <summary>Callbacks run by the dispatcher because Hangfire's server had not run their jobs, since the process started.</summary>
    public int RunHereCount => Volatile.Read(ref _runHere);

    /// <summary>Whether a callback had to be run here within <see cref="ReportedFor"/>.</summary>
    public bool RanLateRecently => Volatile.Read(ref _runHere) > 0 && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRunHereAt)) < ReportedFor;

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
        var lastFullLook = long.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Between full looks (every half minute) it reads only what needs it: callbacks without a
            // job and overdue ones. A form post wakes it, and in a surge of them a full read of every
            // scheduled callback each time was the busiest thing in the process.
            var full = recoverAfterCrash || Stopwatch.GetElapsedTime(lastFullLook) >= TimeSpan.FromSeconds(30);
            var failed = await RunOnceAsync(recoverAfterCrash, stoppingToken, full) < 0;
            if (full && !failed)
                lastFullLook = Stopwatch.GetTimestamp();
            recoverAfterCrash &= failed;
            // Woken by new callbacks, and every half minute in case a wake-up was lost with a crash
            // (every few seconds while jobs scheduled here are pending, to notice one Hangfire missed);
            // after a failure (a busy job store, say) it tries again within a second.
            if (failed)
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            else
                await _wake.WaitAsync(WatchingHangfire && !_scheduledHere.IsEmpty ? Min(TimeSpan.FromSeconds(5), RunHereAfter) : TimeSpan.FromSeconds(30), stoppingToken);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private bool WatchingHangfire => hangfire.Value.ServerEnabled;

    /// <summary>How late a callback may be, by its due time and by how long its job has existed, before it is run here.</summary>
    public TimeSpan RunHereAfter => hangfire.Value.RescueAfter;

    /// <summary>Schedules what needs a job; returns how many, or -1 when it failed and should be tried again soon.</summary>
    /// <param name="full">Read every scheduled callback, not only those without a job or overdue.</param>
    public async Task<int> RunOnceAsync(bool recoverAfterCrash, CancellationToken cancellationToken = default, bool full = true)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
            var jobs = scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>();
            var storage = scope.ServiceProvider.GetRequiredService<JobStorage>();

            var now = scope.ServiceProvider.GetRequiredService<Infrastructure.HelplineTime>().UtcNow;
            var readAll = full || recoverAfterCrash;
            var pending = await ReadScheduledAsync(db, now, readAll, cancellationToken);
            if (readAll)
                ForgetAllBut(pending);

            using var connection = storage.GetConnection();
            var (given, late) = GiveJobs(pending, jobs, connection, now, recoverAfterCrash);
            var scheduled = await RecordJobsAsync(db, given, cancellationToken);
            if (scheduled > 0)
                logger.LogInformation("Scheduled {Count} callback job(s){After}", scheduled, recoverAfterCrash ? " at start" : "");
            if (late.Count > 0)
                await RunLateAsync(late, connection, cancellationToken);
            _failingSince = null;
            return scheduled;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A moment's failure (the database busy as the app starts, a connection dropped) is retried
            // in a second and is a warning; failing for half a minute is an error someone must look at.
            var since = _failingSince ??= Stopwatch.GetTimestamp();
            var level = Stopwatch.GetElapsedTime(since) >= TimeSpan.FromSeconds(30) ? LogLevel.Error : LogLevel.Warning;
            logger.Log(level, e, "Could not schedule callback jobs; trying again in a second");
            return -1;
        }
    }

    /// <summary>The scheduled callbacks; unless <paramref name="readAll"/>, only those without a job or overdue.</summary>
    private async Task<List<ScheduledCallback>> ReadScheduledAsync(HelplineDb db, DateTime now, bool readAll, CancellationToken cancellationToken)
    {
        var overdueBefore = now - Min(OverdueAfter, RunHereAfter);
        var scheduledRows = db.Callbacks.AsNoTracking().Where(c => c.Status == CallbackStatus.Scheduled);
        if (!readAll)
            scheduledRows = scheduledRows.Where(c => c.JobId == null || c.DueAt < overdueBefore);
        return await scheduledRows
            .Select(c => new ScheduledCallback(c.Id, c.DueAt, c.JobId))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Stops watching the jobs of callbacks no longer scheduled (run, cancelled, or moved on).</summary>
    private void ForgetAllBut(List<ScheduledCallback> scheduled)
    {
        foreach (var id in _scheduledHere.Keys.Except(scheduled.Select(c => c.Id)).ToList())
            _scheduledHere.TryRemove(id, out _);
    }

    /// <summary>
    /// Gives a job to each callback without a live one (in memory; <see cref="RecordJobsAsync"/> saves them),
    /// and picks out those whose job this process scheduled and Hangfire has left waiting too long.
    /// </summary>
    private (List<(long Id, string? OldJobId, string JobId)> Given, List<long> Late) GiveJobs(
        List<ScheduledCallback> pending, IBackgroundJobClient jobs, IStorageConnection connection, DateTime now, bool recoverAfterCrash)
    {
        List<long> late = [];
        var live = new Dictionary<string, bool>();
        foreach (var second in _secondJobs.Keys.Where(s => s < now - OverdueAfter).ToList())
            _secondJobs.TryRemove(second, out _);
        var given = new List<(long Id, string? OldJobId, string JobId)>();
        foreach (var callback in pending)
        {
            var ours = _scheduledHere.TryGetValue(callback.Id, out var here) && here.JobId == callback.JobId;
            var ourJobAge = ours ? Stopwatch.GetElapsedTime(here.ScheduledAt) : TimeSpan.Zero;
            // A callback still Scheduled a minute after its due time has lost its job somehow (a crash
            // mid-run, a node gone, a torn job store): it gets another, unless this process just gave it one.
            var lost = callback.DueAt < now - OverdueAfter && (!ours || ourJobAge >= OverdueAfter);
            if (callback.JobId is not null && !lost && (!recoverAfterCrash || IsLive(connection, callback.JobId, live)))
            {
                if (ours && WatchingHangfire && now - callback.DueAt >= RunHereAfter && ourJobAge >= RunHereAfter)
                    late.Add(callback.Id);
                continue;
            }
            var jobId = JobForSecond(jobs, WholeSecondBefore(callback.DueAt), now);
            _scheduledHere[callback.Id] = (jobId, Stopwatch.GetTimestamp());
            given.Add((callback.Id, callback.JobId, jobId));
        }
        return (given, late);
    }

    /// <summary>
    /// Saves the jobs given, each only if the callback is still scheduled with the job it had; returns how many.
    /// Recorded a batch per transaction: after a restart in a surge, thousands of callbacks get a
    /// job at once, and a commit (a disk sync) each would hold up the webhooks writing meanwhile.
    /// </summary>
    private static async Task<int> RecordJobsAsync(HelplineDb db, List<(long Id, string? OldJobId, string JobId)> given, CancellationToken cancellationToken)
    {
        var scheduled = 0;
        foreach (var batch in given.Chunk(200))
        {
            await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
            foreach (var sameJobs in batch.GroupBy(g => (g.OldJobId, g.JobId)))
            {
                var (oldJobId, jobId) = sameJobs.Key;
                var ids = sameJobs.Select(g => g.Id).ToList();
                await db.Callbacks.Where(c => ids.Contains(c.Id) && c.Status == CallbackStatus.Scheduled && c.JobId == oldJobId)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.JobId, jobId), cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            scheduled += batch.Length;
        }
        return scheduled;
    }

    /// <summary>Runs callbacks whose Hangfire job is overdue, together; the batch's conditional update keeps each to one run.</summary>
    private async Task RunLateAsync(List<long> late, IStorageConnection connection, CancellationToken cancellationToken)
    {
        foreach (var byJob in late.GroupBy(id => _scheduledHere.TryGetValue(id, out var here) ? here.JobId : null))
        {
            var state = byJob.Key is null ? null : connection.GetStateData(byJob.Key)?.Name;
            logger.LogWarning("{Count} callback(s) over {Seconds} s past their due time still waiting (their Hangfire job {JobId} is {State}): running them here. "
                + "If this repeats, look at Hangfire's dashboard (/hangfire) and its log lines.", byJob.Count(), (int)RunHereAfter.TotalSeconds, byJob.Key, state ?? "unknown");
        }
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CallbackJob>().StartNowAsync(late, cancellationToken);
        foreach (var callbackId in late)
            _scheduledHere.TryRemove(callbackId, out _);
        Interlocked.Add(ref _runHere, late.Count);
        Volatile.Write(ref _lastRunHereAt, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// The job that wakes every callback due within <paramref name="second"/>. Callbacks due in the
    /// same second share one; a second's job is reused only while it surely has not fired yet, so a
    /// callback added later never waits on a job that has already run.
    /// </summary>
    private string JobForSecond(IBackgroundJobClient jobs, DateTimeOffset second, DateTime now)
    {
        if (second.UtcDateTime - WakeAhead - now > ReuseSecondJobBefore && _secondJobs.TryGetValue(second.UtcDateTime, out var jobId))
            return jobId;
        jobId = jobs.Schedule<CallbackJob>(job => job.RunSecondAsync(second.ToUnixTimeSeconds(), CancellationToken.None), second - WakeAhead);
        _secondJobs[second.UtcDateTime] = jobId;
        return jobId;
    }

    /// <summary>Clears these callbacks' jobs (their jobs have run, or will not) and schedules them again now.</summary>
    internal async Task ScheduleAgainAsync(HelplineDb db, IReadOnlyCollection<long> callbackIds, CancellationToken cancellationToken)
    {
        if (callbackIds.Count == 0)
            return;
        await db.Callbacks.Where(c => callbackIds.Contains(c.Id) && c.Status == CallbackStatus.Scheduled)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.JobId, (string?)null), cancellationToken);
        Wake();
    }

    /// <summary>A job that will still run by itself: scheduled or enqueued. Anything else (gone, failed, half-run before a crash) is not.</summary>
    private static bool IsLive(IStorageConnection connection, string jobId, Dictionary<string, bool> known)
    {
        if (!known.TryGetValue(jobId, out var live))
        {
            live = connection.GetStateData(jobId)?.Name is { } state && (state == ScheduledState.StateName || state == EnqueuedState.StateName);
            known[jobId] = live;
        }
        return live;
    }

    /// <summary>
    /// Hangfire keeps schedule times in whole seconds: callbacks are grouped by the whole second at
    /// or before their due time, and the group's job hands each the rest to <see cref="CallbackDueGate"/>.
    /// Rounding up instead would make every callback up to a second late.
    /// </summary>
    private static DateTimeOffset WholeSecondBefore(DateTime dueUtc) =>
        new(DateTime.SpecifyKind(dueUtc.AddTicks(-(dueUtc.Ticks % TimeSpan.TicksPerSecond)), DateTimeKind.Utc));

    private sealed record ScheduledCallback(long Id, DateTime DueAt, string? JobId);
}

/// <summary>/healthz is degraded while callbacks have recently had to be run without Hangfire.</summary>
internal sealed class CallbackHealthCheck(CallbackDispatcher dispatcher) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(dispatcher.RanLateRecently
            ? HealthCheckResult.Degraded(
                $"{dispatcher.RunHereCount} callback(s) since start were still waiting over {(int)dispatcher.RunHereAfter.TotalSeconds} s past their due time though Hangfire had jobs for them; "
                + "the app made them itself. See the log and /hangfire.",
                data: new Dictionary<string, object> { ["runWithoutHangfire"] = dispatcher.RunHereCount })
            : HealthCheckResult.Healthy());
}
