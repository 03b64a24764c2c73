using System.ComponentModel.DataAnnotations;

namespace Helpline.Callbacks;

/// <summary>Section "Callbacks".</summary>
public sealed class CallbackOptions
{
    /// <summary>Attempts before a callback is given up as missed.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>After an unanswered attempt, the next one is this much later (inside the caller's window).</summary>
    [Range(1, 1440)]
    public int RetryDelayMinutes { get; set; } = 30;

    /// <summary>How long the caller's phone rings on a callback.</summary>
    [Range(10, 120)]
    public int RingSeconds { get; set; } = 30;

    /// <summary>
    /// How often each node looks for callbacks waiting in the queue whose caller's hours (or the line's)
    /// have ended, and moves them to the next allowed time: the most a callback outlives its window there.
    /// </summary>
    [Range(1, 300)]
    public int QueueCheckSeconds { get; set; } = 15;

    /// <summary>A neutral number shown instead of the hotline when the caller asked for discretion (E.164); empty: the hotline.</summary>
    [RegularExpression(@"^(\+[1-9]\d{6,14})?$")]
    public string? NeutralCallerId { get; set; }
}

/// <summary>Section "Hangfire": the background-job server that makes callbacks happen on time.</summary>
public sealed class HangfireOptions
{
    /// <summary>On PostgreSQL: Hangfire's own schema, in the app's database or in <c>ConnectionStrings:Hangfire</c>.</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$")]
    public string Schema { get; set; } = "hangfire";

    /// <summary>Run the job server in this process (the single-machine default).</summary>
    public bool ServerEnabled { get; set; } = true;

    [Range(1, 50)]
    public int WorkerCount { get; set; } = 4;

    /// <summary>How often the server looks for scheduled jobs that are due (Hangfire's default is 15 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How late a callback whose job this process scheduled may be before the app runs it without
    /// Hangfire (logged as a warning, /healthz degraded). Hangfire itself runs them within a second.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RescueAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On PostgreSQL: how often workers look for enqueued jobs (LISTEN/NOTIFY wakes them sooner). The in-memory store of a single node never polls.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
