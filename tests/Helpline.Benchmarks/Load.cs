using System.Diagnostics;
using System.Net;

namespace Helpline.Benchmarks;

/// <summary>Latencies of one phase, in Stopwatch ticks, and what they add up to.</summary>
internal sealed class PhaseResult(string name, TimeSpan elapsed, List<long> latencies, int errors, string? firstError)
{
    public string Name { get; } = name;
    public TimeSpan Elapsed { get; } = elapsed;
    public int Completed => latencies.Count;
    public int Errors { get; } = errors;
    public string? FirstError { get; } = firstError;
    public double PerSecond => Completed / Elapsed.TotalSeconds;

    private readonly long[] _sorted = [.. latencies.Order()];

    public double Percentile(double p) => Stats.Percentile(_sorted, p);

    public double MaxMs => _sorted.Length == 0 ? double.NaN : Stats.Ms(_sorted[^1]);

    /// <summary>Answers that took 150 ms or more: the length of Microsoft.Data.Sqlite's sleep on SQLITE_BUSY.</summary>
    public int AtLeast150Ms => _sorted.Length - Array.BinarySearch(_sorted, (long)(0.150 * Stopwatch.Frequency)) switch { >= 0 and var i => i, var i => ~i };

    /// <summary>Thread-pool threads at the end of the phase (2 at rest on 2 cores; more means blocked threads were replaced).</summary>
    public int PoolThreads { get; } = ThreadPool.ThreadCount;
}

internal static class Stats
{
    public static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile of sorted Stopwatch ticks, in milliseconds.</summary>
    public static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return Ms(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    /// <summary>Nearest-rank percentile of milliseconds.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Drives signed inbound-call webhooks at a server: closed loop (N workers, each sends the next
/// request when the last one is answered) for the most it can take, and open loop (a fixed offered
/// rate, latency counted from the moment each request was due, so a slow answer cannot hide the
/// requests queued behind it).
/// </summary>
internal sealed class Load(HttpClient http, Uri incomingUrl)
{
    private long _callers;

    /// <summary>Requests sent so far, each with the next caller number.</summary>
    public long Sent => Interlocked.Read(ref _callers);

    /// <summary>One webhook with a fresh CallSid and the next caller; true on a 200 with TwiML.</summary>
    private async Task<(bool Ok, string? Error)> SendOneAsync(CancellationToken cancellationToken)
    {
        var form = TwilioRequests.Inbound(TwilioRequests.NewCallSid(), TwilioRequests.CallerNumber(Interlocked.Increment(ref _callers)));
        using var request = TwilioRequests.SignedPost(incomingUrl, form);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK || !body.Contains("<Response", StringComparison.Ordinal))
                return (false, $"{(int)response.StatusCode}: {body[..Math.Min(body.Length, 200)]}");
            return (true, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (false, e.GetType().Name + ": " + e.Message);
        }
    }

    public async Task<PhaseResult> ClosedLoopAsync(string name, int workers, TimeSpan duration)
    {
        var errors = 0;
        string? firstError = null;
        var perWorker = new List<long>[workers];
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        using var stop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var latencies = perWorker[w] = new List<long>(16_384);
            // Bounded: by the deadline, and by a hard cap on requests per worker.
            for (var i = 0; i < 1_000_000 && Stopwatch.GetTimestamp() < deadline; i++)
            {
                var sent = Stopwatch.GetTimestamp();
                var (ok, error) = await SendOneAsync(stop.Token);
                if (ok)
                {
                    latencies.Add(Stopwatch.GetTimestamp() - sent);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return new PhaseResult(name, elapsed, [.. perWorker.SelectMany(l => l)], errors, firstError);
    }

    public async Task<PhaseResult> OpenLoopAsync(string name, int perSecond, TimeSpan duration)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var interval = Stopwatch.Frequency / (double)perSecond;
        var latencies = new long[total];
        var ok = new bool[total];
        var errors = 0;
        string? firstError = null;
        var inFlight = new List<Task>(total);
        using var stop = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
        var start = Stopwatch.GetTimestamp();

        async Task OneAsync(int i, long due)
        {
            var (success, error) = await SendOneAsync(stop.Token);
            // From when the request was due, not when it happened to leave: pacing delays count too.
            latencies[i] = Stopwatch.GetTimestamp() - due;
            ok[i] = success;
            if (!success)
            {
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, error, null);
            }
        }

        var next = 0;
        // Bounded: every request is launched by its due time; the loop ends when all are launched or at the hard deadline.
        while (next < total && !stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            for (; next < total; next++)
            {
                var due = start + (long)(next * interval);
                if (due > now)
                    break;
                var index = next;
                inFlight.Add(Task.Run(() => OneAsync(index, due)));
            }
            if (next < total)
            {
                var wait = start + (long)(next * interval) - Stopwatch.GetTimestamp();
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(wait, 0) / (double)Stopwatch.Frequency));
            }
        }
        await Task.WhenAll(inFlight);
        var elapsed = Stopwatch.GetElapsedTime(start);
        var succeeded = Enumerable.Range(0, inFlight.Count).Where(i => ok[i]).Select(i => latencies[i]).ToList();
        return new PhaseResult(name, elapsed, succeeded, errors + (total - inFlight.Count), firstError);
    }
}
