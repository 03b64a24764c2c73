using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Helpline.Telephony;

/// <summary>
/// Counts requests under /twilio/ refused for their signature in a sliding window. A surge usually
/// means every real webhook is being refused (a wrong public URL, proxy headers or auth token), or
/// someone is probing the webhooks: it is logged once per window and reported on /healthz.
/// </summary>
public sealed class SignatureFailures(TimeProvider clock, IOptions<TwilioOptions> options, ILogger<SignatureFailures> logger)
{
    /// <summary>Memory stays bounded under a flood; the count then reads "at least".</summary>
    private const int MaxRemembered = 100_000;

    private readonly Queue<DateTimeOffset> _refusedAt = new();
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastWarnedAt;

    private TimeSpan Window => TimeSpan.FromSeconds(options.Value.SignatureFailureWindowSeconds);

    public int Threshold => options.Value.SignatureFailureThreshold;

    public void Record()
    {
        var now = clock.GetUtcNow();
        int count;
        bool warn;
        lock (_lock)
        {
            if (_refusedAt.Count < MaxRemembered)
                _refusedAt.Enqueue(now);
            count = TrimAndCount(now);
            warn = count >= Threshold && (_lastWarnedAt is not { } last || now - last >= Window);
            if (warn)
                _lastWarnedAt = now;
        }
        if (warn)
        {
            logger.LogWarning("{Count} requests to /twilio/ were refused for their signature in the last {Seconds} s. " + LikelyCause,
                count, (int)Window.TotalSeconds);
        }
    }

    /// <summary>Refusals within the window, now.</summary>
    public int Count()
    {
        lock (_lock)
            return TrimAndCount(clock.GetUtcNow());
    }

    public const string LikelyCause =
        "If these are Twilio's own webhooks, check Twilio:PublicBaseUrl (the exact scheme and host in the Twilio console), " +
        "the reverse proxy's X-Forwarded-Proto and X-Forwarded-Host (ReverseProxy:KnownProxies) and Twilio:AuthToken; otherwise someone is probing the webhooks.";

    private int TrimAndCount(DateTimeOffset now)
    {
        while (_refusedAt.TryPeek(out var oldest) && now - oldest > Window)
            _refusedAt.Dequeue();
        return _refusedAt.Count;
    }
}

/// <summary>
/// Degraded (still 200, so a load balancer keeps the node: forged requests alone must not take
/// the helpline off the air) while refusals are over the threshold.
/// </summary>
internal sealed class SignatureFailuresHealthCheck(SignatureFailures failures, IOptions<TwilioOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var count = failures.Count();
        var data = new Dictionary<string, object> { ["refused"] = count, ["windowSeconds"] = options.Value.SignatureFailureWindowSeconds };
        return Task.FromResult(count >= failures.Threshold
            ? HealthCheckResult.Degraded(
                $"{count} requests to /twilio/ refused for their signature in the last {options.Value.SignatureFailureWindowSeconds} s. " + SignatureFailures.LikelyCause,
                data: data)
            : HealthCheckResult.Healthy(data: data));
    }
}
